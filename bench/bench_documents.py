"""Documents: one 审批表, and a 5,000-line 发放花名册 beside a plain WeasyPrint table of the same rows.

    .venv/bin/python bench/bench_documents.py [--lines 5000] [--skip-plain]

Each case runs in a fresh Python process, so its peak memory is its own: seconds from the
call to the PDF bytes (imports excluded) and peak RSS from ``resource.getrusage`` of the
process and, for the parallel roster, of its largest worker. The 审批表 is timed cold (the
first document in a process: fonts and stylesheets loaded) and warm (the next ones, as in a
running server). The plain table is what one writes first: one ``<table>``, automatic
layout, the page breaks left to WeasyPrint. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAMES = ("卓玛", "扎西次里", "余建国", "和金华", "斯那农布", "格桑拉姆", "李文明", "木志强")
STAMP_ARGS = ("德人社发〔2026〕000001", "ABCDEFGHJKLMNPQR", "https://fuzhi.example")


def lines(n: int) -> list[dict[str, object]]:
    return [
        {
            "name": NAMES[i % len(NAMES)],
            "id_number": f"53342219{80 + i % 20}0101{i % 10000:04d}",
            "bank_account": f"6217{i:015d}",
            "amount": Decimal(600 + i % 5 * 100),
            "note": "乡村公益性岗位补贴",
        }
        for i in range(n)
    ]


APPROVAL = {
    "issuer": "德钦县人力资源和社会保障局",
    "person": {
        "name": "卓玛",
        "id_number": "533422199001011236",
        "sex": "女",
        "birth_date": datetime(1990, 1, 1).date(),
        "village": "阿东村",
        "groups": "脱贫人口",
    },
    "claim": {
        "ref": "SQ2026-000001",
        "subsidy": "有组织劳务输出就业创业服务补助",
        "policy_year": 2026,
        "claimant": "德钦劳务经纪人扎西",
        "facts": [("务工地点", "省外"), ("就业开始日期", "2026-03-01")],
        "rule": "labour_export_service.out_of_province",
        "rule_explanation": "省外转移就业，稳定就业满3个月，按300.00元/人补助",
        "amount": Decimal("300"),
        "state": "财务已发放",
    },
    "steps": [
        {"label": label, "actor": actor, "role": role, "at": datetime(2026, 11, 28, 10, 0), "comment": None}
        for label, actor, role in (
            ("提交申请", "扎西", "申报主体经办人"),
            ("核实通过", "和金华", "村级核实员"),
            ("审核通过", "李文明", "县人社局审核员"),
            ("确认发放", "余建国", "财务"),
        )
    ],
}


def plain_table(n: int) -> bytes:
    from weasyprint import HTML

    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{x['name']}</td><td>{x['id_number']}</td>"
        f"<td>{x['bank_account']}</td><td>{x['amount']}</td><td>{x['note']}</td></tr>"
        for i, x in enumerate(lines(n))
    )
    html = (
        "<html><head><style>@page{size:A4} body{font-family:'Noto Sans CJK SC',sans-serif}"
        "table{border-collapse:collapse;width:100%} td,th{border:1px solid #000}</style></head>"
        "<body><h1>就业帮扶资金发放花名册</h1><table><thead><tr><th>序号</th><th>姓名</th>"
        "<th>身份证号</th><th>银行账号</th><th>金额</th><th>备注</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>"
    )
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def run_case(case: str, n: int) -> dict[str, object]:
    import resource

    from printing import Stamp, approval_form, payout_roster

    stamp = Stamp(*STAMP_ARGS)
    out: dict[str, object] = {"case": case}
    t = time.perf_counter()
    if case == "approval_form":
        approval_form(APPROVAL, stamp)
        out["cold_s"] = time.perf_counter() - t
        warm = []
        for _ in range(5):
            t = time.perf_counter()
            pdf = approval_form(APPROVAL, stamp)
            warm.append(time.perf_counter() - t)
        out["seconds"] = sorted(warm)[len(warm) // 2]
    elif case == "roster":
        pdf = payout_roster(lines(n), stamp, batch_ref="FF2026-0001")
    elif case == "roster_one_process":
        pdf = payout_roster(lines(n), stamp, batch_ref="FF2026-0001", workers=1)
    else:
        pdf = plain_table(n)
    out.setdefault("seconds", time.perf_counter() - t)
    out["bytes"] = len(pdf)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["worker_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def measure(case: str, n: int) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--case", case, "--lines", str(n)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--case")
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.lines)))
        return
    cases = ["approval_form", "roster", "roster_one_process"] + ([] if args.skip_plain else ["plain_table"])
    print(
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
        f"{args.lines} lines\n"
    )
    print("| case | seconds | peak RSS (MB) | largest worker RSS (MB) | PDF (KB) |")
    print("|---|---|---|---|---|")
    for case in cases:
        r = measure(case, args.lines)
        extra = f" (cold {r['cold_s']:.2f})" if "cold_s" in r else ""
        worker = f"{r['worker_rss_mb']:.0f}" if case == "roster" else "–"
        print(
            f"| {case} | {r['seconds']:.2f}{extra} | {r['rss_mb']:.0f} | {worker} | "
            f"{int(r['bytes']) // 1024} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
