"""Bulk-list upload (申报清单): ``upload_list`` on an .xlsx or a JSON list of N valid rows (the
two bodies the API takes: the file upload and ``/lists/json``), every rule checked, one
transaction per list, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_lists.py [--sizes 1000 10000] [--runs 3] [--formats xlsx json]
        [--pg URL] [--no-pg]

Each run starts from a fresh, migrated database with one county (30 villages), one labour
broker and half of the list's persons already registered (the other half the list registers).
The rows mix 有组织劳务输出 (out of province and in province) with 交通补助 for some of the same
persons. Timed: the whole ``upload_list`` call (read the list, check every row, write the
persons, claims and history rows, store the outcomes, commit) and the CPU time of this process
during it (on a shared machine the wall time also holds the waits for a core; PostgreSQL's own
work is not in it); separately the list's read alone, the same list uploaded a second time
(every row refused as a duplicate, nothing written) and the result file. Beside them, the
database's floor for the same writes: N rows into each of three bare tables (persons, claims,
history) in one transaction and one COMMIT through the same driver (``executemany`` on SQLite,
``COPY`` on PostgreSQL), no checks at all, no index, no foreign key. Prints a Markdown table;
docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path

os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")  # no argon2 in the set-up
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text
from stdnum.cn import ric

from bench.databases import PG_DEFAULT, fresh_pg, fresh_sqlite
from store.claims.list_report import get_list, result_workbook
from store.claims.lists import upload_list
from store.db import Database
from store.models import Organisation, Person, Township, Village
from workflow.clock import FrozenClock
from workflow.identity import birth_date, sex
from workflow.lists.columns import COLUMNS
from workflow.lists.parse import read_list
from workflow.roles import Actor, Role
from workflow.states import DESTINATION_LABELS, SUBSIDY_LABELS, TARGET_GROUP_LABELS

NOW = datetime(2026, 11, 28, 10)
SECRET = b"bench-secret-0123456789abcdef"
VILLAGES = 30
AGENT = Actor(user_id=1, roles=frozenset({Role.AGENT}), org_id=1, name="bench")


def people(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        birth = date(1965, 1, 1).toordinal() + rng.randrange(30 * 365)
        body = f"533422{date.fromordinal(birth):%Y%m%d}{i % 1000:03d}"
        out.append(
            {
                "name": rng.choice("卓扎次格拉央达白永") + rng.choice("玛西仁桑姆宗珍杰拉措"),
                "id": body + ric.calc_check_digit(body + "0"),
                "village": f"533422{101 + i % 3}{1 + (i // 3) % (VILLAGES // 3):03d}",
                "groups": rng.choice(list(TARGET_GROUP_LABELS.values())),
                "bank": f"62170{i:014d}",
            }
        )
    # Rarely the same ID comes out twice (same birth day, same sequence): keep one of each.
    seen: set[str] = set()
    return [p for p in out if not (p["id"] in seen or seen.add(p["id"]))]  # type: ignore[func-returns-value]


def rows_for(n: int) -> tuple[list[dict[str, object]], list[list[object]]]:
    """n rows: 3 of 4 a labour-export row per person, 1 of 4 a transport row for one of them."""
    rng = random.Random(n)
    persons = people(n)
    export_n = (3 * n + 3) // 4
    rows: list[list[object]] = []
    header = [c.header for c in COLUMNS]
    for i in range(n):
        p = persons[i] if i < export_n else persons[(i - export_n) * 3 % export_n]
        dest = "out_of_province" if rng.random() < 0.8 else "in_province"
        start = date(2026, rng.randint(1, 8), rng.randint(1, 28))
        kind = "labour_export_service" if i < export_n else "transport_subsidy"
        values = {
            "name": p["name"],
            "id_number": p["id"],
            "village_code": p["village"],
            "target_groups": p["groups"],
            "labour_capacity": "全劳力",
            "phone": "13988887777",
            "bank_account": p["bank"],
            "subsidy_type": SUBSIDY_LABELS[kind],
            "policy_year": 2026,
            "destination": DESTINATION_LABELS[dest],
            "employment_start": start,
            "fare": rng.randint(150, 1400) if kind == "transport_subsidy" else None,
        }
        rows.append([values.get(c.field) for c in COLUMNS])
    return persons[:export_n], [header, *rows]


def xlsx(table: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申报清单")
    for row in table:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def json_body(table: list[list[object]]) -> bytes:
    """The same list as the JSON the API's ``/lists/json`` passes on: field codes as keys."""
    fields = [c.field for c in COLUMNS]
    rows = [
        {
            f: (v.isoformat() if isinstance(v, date) else v)
            for f, v in zip(fields, row, strict=True)
            if v is not None
        }
        for row in table[1:]
    ]
    return json.dumps({"rows": rows}, ensure_ascii=False).encode()


def raw_floor(url: str, n: int) -> float:
    """Seconds to write n rows into each of three bare tables shaped like a person (10
    columns), a claim (12) and a history row (8), in one transaction, one COMMIT, through the
    same driver: what writing a list's rows costs this database with no checks at all."""
    widths = {"raw_person": 10, "raw_claim": 12, "raw_history": 8}
    rows = {
        t: [(i, *(f"{t}-{i}-{c:02d}" for c in range(w - 1))) for i in range(n)] for t, w in widths.items()
    }

    def ddl(t: str, w: int) -> str:
        cols = ", ".join(f"c{c} text" for c in range(w - 1))
        return f"CREATE TABLE {t} (id integer PRIMARY KEY, {cols})"

    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # as the app sets it
        for t, w in widths.items():
            conn.execute(f"DROP TABLE IF EXISTS {t}")
            conn.execute(ddl(t, w))
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for t, w in widths.items():
            conn.executemany(f"INSERT INTO {t} VALUES ({', '.join('?' * w)})", rows[t])
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed
    engine = create_engine(url)
    raw = engine.raw_connection()
    cur = raw.cursor()
    for t, w in widths.items():
        cur.execute(f"DROP TABLE IF EXISTS {t}")
        cur.execute(ddl(t, w))
    raw.commit()
    start = time.perf_counter()
    for t in widths:
        with cur.copy(f"COPY {t} FROM STDIN") as copy:
            for row in rows[t]:
                copy.write_row(row)
    raw.commit()
    elapsed = time.perf_counter() - start
    raw.close()
    engine.dispose()
    return elapsed


def seed(db: Database, persons: list[dict[str, object]]) -> None:
    """The county, the broker, and every other person of the list already registered."""
    with db.transaction() as s:
        for t in range(3):
            s.add(Township(id=t + 1, code=f"533422{101 + t}", name=f"乡镇{t + 1}"))
        s.flush()
        for t in range(3):
            for v in range(VILLAGES // 3):
                s.add(
                    Village(township_id=t + 1, code=f"533422{101 + t}{v + 1:03d}", name=f"村{t + 1}-{v + 1}")
                )
        s.add(Organisation(id=1, name="德钦劳务经纪人", kind="labour_broker"))
        s.flush()
        villages = dict(s.execute(text("SELECT code, id FROM village")).all())
        s.execute(
            insert(Person),
            [
                dict(
                    name=p["name"],
                    id_number_enc=db.vault.encrypt(str(p["id"])),
                    id_number_hash=db.vault.digest(str(p["id"])),
                    id_tail_hash=db.vault.tail_digest(str(p["id"])[-4:]),
                    birth_date=birth_date(str(p["id"])),
                    sex=sex(str(p["id"])),
                    village_id=villages[p["village"]],
                    target_groups="poverty_alleviated",
                    labour_capacity="full",
                    created_at=NOW,
                )
                for p in persons[::2]
            ],
        )


def one_run(
    fresh: Callable[[], str], n: int, filename: str, content: bytes, persons: list[dict[str, object]]
) -> tuple[float, float, float, float, float]:
    url = fresh()
    db = Database.connect(url, SECRET, FrozenClock(NOW))
    seed(db, persons)
    start, cpu = time.perf_counter(), time.process_time()
    report = upload_list(db, AGENT, filename, content)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.rows_accepted == n, [r for r in report.rows if r.status == "refused"][:3]
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM claim")).scalar() == n
        assert conn.execute(text("SELECT count(*) FROM claim_history")).scalar() == n
        assert (
            conn.execute(
                text("SELECT count(*) FROM claim WHERE batch_ref = :b"), {"b": f"L{report.list_id}"}
            ).scalar()
            == n
        )
    start = time.perf_counter()
    result_workbook(get_list(db, AGENT, report.list_id))
    result_s = time.perf_counter() - start
    # The same list again: nothing new, every row a duplicate.
    start = time.perf_counter()
    again = upload_list(db, AGENT, filename, content)
    again_s = time.perf_counter() - start
    assert again.rows_accepted == 0 and all(r.errors[0].code == "rule.duplicate" for r in again.rows)
    db.engine.dispose()
    return elapsed, result_s, again_s, raw_floor(url, n), cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", nargs="+", choices=["xlsx", "json"], default=["xlsx", "json"])
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()

    targets = [("SQLite", None)] + ([] if args.no_pg else [("PostgreSQL", args.pg)])
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"{args.runs} runs each, median"
    )
    print()
    print(
        "| database | rows | body | `upload_list` s | its CPU s | rows/s | of which read s "
        "| same list again s | result file s | raw write floor s | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        persons, table = rows_for(n)
        bodies = {"xlsx": ("bench.xlsx", xlsx(table)), "json": ("list.json", json_body(table))}
        for name, pg in targets:
            for fmt in args.formats:
                filename, content = bodies[fmt]
                reads = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    read_list(filename, content)
                    reads.append(time.perf_counter() - start)
                fresh: Callable[[], str] = fresh_sqlite if pg is None else partial(fresh_pg, pg)
                times = [one_run(fresh, n, filename, content, persons) for _ in range(args.runs)]
                upload, result, again, floor, cpu = (statistics.median(t[i] for t in times) for i in range(5))
                limit = 0.25 * n / 1000
                print(
                    f"| {name} | {n:,} | {fmt} | {upload:.3f} | {cpu:.3f} | {n / upload:,.0f} "
                    f"| {statistics.median(reads):.3f} | {again:.3f} | {result:.3f} | {floor:.3f} "
                    f"| ≤ {limit:g} s {'✓' if upload <= limit else '✗'} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
