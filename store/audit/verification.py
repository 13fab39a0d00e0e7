"""Verifying the audit log: every link of the chain recomputed, every protected row (history
rows, payout lines) compared with the digest its entry sealed, and the chain's head compared
with the head kept in the database and with one exported earlier (on a 发放花名册, in the admin's
daily notice). The first broken entry is named with its position and the kind of change.

Kinds: ``edit`` (an entry or a protected row changed), ``delete`` (an entry or a protected row
gone), ``reorder`` (entries moved), ``rebuild`` (the chain recomputed consistently but no longer
the one exported), ``insert`` (a protected row no entry sealed: written past the application),
``account_swap`` (a payout line's account ciphertext changed), ``amount_change`` (its amount).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from ..db import Database
from . import chain
from .models import GENESIS, AuditEntry, AuditHead

ENTRY = AuditEntry.__table__
HEAD = AuditHead.__table__
KINDS = ("edit", "delete", "reorder", "rebuild", "insert", "account_swap", "amount_change")
CHUNK = 5000


@dataclass(frozen=True, order=True)
class Break:
    """Where the log stops holding: ``position`` is the entry's seq (for a protected row, the
    entry that sealed it; one past the head for a row nothing sealed)."""

    position: int
    kind: str
    what: str


@dataclass
class Report:
    entries: int = 0
    rows: int = 0
    head: tuple[int, str] = (0, GENESIS)
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first(self) -> Break | None:
        return min(self.breaks) if self.breaks else None


def current_head(db: Database) -> tuple[int, str]:
    """The chain's head (seq, hash), to be exported outside the database."""
    with db.engine.connect() as conn:
        return chain.head(conn)


def _hash_holder(conn: Connection, digest: str) -> int | None:
    return conn.execute(select(ENTRY.c.seq).where(ENTRY.c.hash == digest).limit(1)).scalar()


def _chain(conn: Connection, report: Report, sealed: dict[tuple[str, int], Any]) -> tuple[int, str]:
    expected, prev = 1, GENESIS
    rows = conn.execution_options(yield_per=CHUNK).execute(select(ENTRY).order_by(ENTRY.c.seq))
    for row in rows:
        e: dict[str, Any] = dict(row._mapping)
        report.entries += 1
        if e["seq"] > expected:
            report.breaks.append(Break(expected, "delete", f"条目 {expected}–{e['seq'] - 1} 缺失"))
        own = chain.entry_hash(e, e["prev_hash"]) == e["hash"]
        if e["prev_hash"] != prev:
            holder = _hash_holder(conn, e["prev_hash"])
            if holder is not None and holder != e["seq"] - 1:
                report.breaks.append(Break(e["seq"], "reorder", f"条目 {e['seq']} 接在条目 {holder} 之后"))
            elif own and e["seq"] == expected:
                report.breaks.append(Break(e["seq"] - 1, "edit", f"条目 {e['seq'] - 1} 被修改并重新计算"))
            elif e["seq"] == expected:
                report.breaks.append(Break(e["seq"], "edit", f"条目 {e['seq']} 被修改"))
        elif not own:
            report.breaks.append(Break(e["seq"], "edit", f"条目 {e['seq']} 被修改"))
        if e["row_table"] is not None:
            sealed[(e["row_table"], e["row_id"])] = (e["seq"], e["row_digest"], e["detail"])
        expected, prev = e["seq"] + 1, e["hash"]
    return expected - 1, prev


def _line_kind(row: dict[str, Any], detail: dict[str, Any]) -> str:
    if chain.account_digest(row["account_enc"]) != detail.get("account"):
        return "account_swap"
    if chain.plain(row["amount"]) != detail.get("amount"):
        return "amount_change"
    return "edit"


def _rows(
    conn: Connection, report: Report, sealed: dict[tuple[str, int], Any], floors: dict[str, int]
) -> None:
    after = report.head[0] + 1
    for name, table in chain.TABLES.items():
        floor = int(floors.get(name, 0))
        wanted = [table.c[c] for c in chain.columns_of(name)]
        rows = conn.execution_options(yield_per=CHUNK).execute(
            select(*wanted).where(table.c.id > floor).order_by(table.c.id)
        )
        for r in rows:
            row = dict(r._mapping)
            report.rows += 1
            seal = sealed.pop((name, row["id"]), None)
            if seal is None:
                report.breaks.append(Break(after, "insert", f"{name} #{row['id']} 未经审计日志写入"))
                continue
            seq, digest, detail = seal
            if chain.row_digest(name, row) != digest:
                kind = _line_kind(row, detail) if name == "payout_line" else "edit"
                report.breaks.append(Break(seq, kind, f"{name} #{row['id']} 与条目 {seq} 的摘要不符"))
    for (name, row_id), (seq, _digest, _detail) in sealed.items():
        if row_id > int(floors.get(name, 0)):
            report.breaks.append(Break(seq, "delete", f"{name} #{row_id} 已被删除（条目 {seq}）"))


def verify(db: Database, exported: tuple[int, str] | None = None) -> Report:
    """Check the whole log; ``exported``: a head (seq, hash) exported earlier, to detect a
    chain rebuilt consistently since."""
    report = Report()
    sealed: dict[tuple[str, int], Any] = {}
    with db.engine.connect() as conn:
        kept = conn.execute(select(HEAD.c.seq, HEAD.c.hash, HEAD.c.floors).where(HEAD.c.id == 1)).one()
        last, last_hash = _chain(conn, report, sealed)
        report.head = (last, last_hash)
        if kept.seq > last:
            report.breaks.append(Break(last + 1, "delete", f"条目 {last + 1}–{kept.seq} 缺失（链尾被截去）"))
        elif (kept.seq, kept.hash) != (last, last_hash):
            report.breaks.append(Break(min(kept.seq, last), "rebuild", "链头与数据库中保存的不一致"))
        if exported is not None:
            seq, digest = exported
            if seq > last:
                report.breaks.append(Break(last + 1, "delete", f"导出的链头 {seq} 之前的条目缺失"))
            else:
                found = conn.execute(select(ENTRY.c.hash).where(ENTRY.c.seq == seq)).scalar()
                if found != digest:
                    report.breaks.append(Break(seq, "rebuild", f"条目 {seq} 与导出的链头不符：日志被重建"))
        _rows(conn, report, sealed, dict(kept.floors or {}))
    return report


def parse_head(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` as ``fuzhi audit head`` prints it and the roster shows it."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        raise ValueError("链头格式应为 序号:64位十六进制摘要")
    return int(seq), digest
