"""``fuzhi audit``: ``verify`` checks every link of the audit log's chain and every history row
and payout line it seals, naming the first broken entry and the kind of change (exit 1 on a
break); ``head`` prints the chain's head (SEQ:HASH) to keep outside the database."""

from __future__ import annotations

import argparse
import sys
import time

from .database import open_db


def cmd_audit(args: argparse.Namespace) -> int:
    from store import audit

    db = open_db()
    if args.action == "head":
        seq, digest = audit.current_head(db)
        print(f"{seq}:{digest}")
        return 0
    exported = None
    if args.head:
        try:
            exported = audit.parse_head(args.head)
        except ValueError as exc:
            print(f"错误: {exc}", file=sys.stderr)
            return 2
    started = time.perf_counter()
    report = audit.verify(db, exported)
    took = time.perf_counter() - started
    seq, digest = report.head
    print(f"审计日志 {report.entries} 条，受保护记录 {report.rows} 行，链头 {seq}:{digest}（{took:.2f} 秒）")
    if report.ok:
        print("校验通过：链完整，历史记录和发放明细与日志一致")
        return 0
    first = report.first
    assert first is not None
    print(f"校验失败：第一处断裂在条目 {first.position}，类型 {first.kind}：{first.what}")
    for found in sorted(report.breaks)[: args.limit]:
        print(f"  条目 {found.position}\t{found.kind}\t{found.what}")
    return 1


def add_audit_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("audit", help="the audit log: verify the chain, print its head")
    actions = p.add_subparsers(dest="action", required=True)
    check = actions.add_parser("verify", help="check every link and protected row; exit 1 on a break")
    check.add_argument("--head", metavar="SEQ:HASH", help="a head exported earlier (roster, daily notice)")
    check.add_argument("--limit", type=int, default=20, help="how many breaks to list (default 20)")
    actions.add_parser("head", help="print the chain's head as SEQ:HASH")
    p.set_defaults(func=cmd_audit)
