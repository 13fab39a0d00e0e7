"""The sweep at 100,000 post contracts and 1,000,000 claims: wall time and peak memory of one
``run_sweep`` on each of several consecutive days (ordinary days, then a month start), on
SQLite and PostgreSQL, at two sizes to show that memory does not grow with the data.

    .venv/bin/python bench/bench_sweep.py [--sizes 10000 100000] [--days 5] [--db sqlite|pg|both]

Each timed sweep runs in a fresh process (``--child``) so that its peak RSS is its own; the
process is started, imports and connects before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")  # set-up, not what is measured
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from bench.databases import fresh_pg, fresh_sqlite
from store.db import Database
from store.models import (
    Claim,
    Contract,
    Organisation,
    Person,
    Post,
    Township,
    User,
    UserVillage,
    Village,
)
from store.sweep.models import SweepEvent
from store.sweep.runner import CHUNK
from workflow.dates import add_months

SECRET = b"bench-sweep-secret"
FIRST_DAY = date(2026, 11, 26)  # the ordinary days run from here; the month start follows
SWEEP_HOUR = 2  # cron at night
VILLAGES = 600
STATES = [
    ("finance_paid", 70),
    ("rejected", 5),
    ("withdrawn", 3),
    ("expired", 2),
    ("submitted", 6),
    ("village_verified", 6),
    ("hr_reviewed", 6),
    ("returned", 2),
]
TYPES = [
    "labour_export_service",
    "transport_subsidy",
    "employment_base_reward",
    "work_for_training",
    "public_welfare_post",
    "training_allowance",
]
CHUNK_ROWS = 20_000


def populate(db: Database, contracts: int, claims: int, rng: random.Random) -> None:
    """A province-sized county as it stands the evening before ``FIRST_DAY``, with every earlier
    sweep done: contracts (4 in 5 active, ending evenly over the next year; 1 in 5 expired
    and fully claimed), each active one's months up to October already claimed, reminders in
    the windows already sent, overdue claims already flagged, returned claims not yet due."""
    now = datetime.combine(FIRST_DAY, datetime.min.time()) - timedelta(hours=6)
    through = date(FIRST_DAY.year, FIRST_DAY.month, 1) - timedelta(days=1)
    with db.transaction() as s:
        s.execute(
            insert(Township),
            [dict(id=t, code=f"533422{100 + t}", name=f"乡镇{t}") for t in range(1, VILLAGES // 12 + 1)],
        )
        s.execute(
            insert(Village),
            [
                dict(
                    id=v,
                    township_id=(v - 1) // 12 + 1,
                    code=f"533422{100 + (v - 1) // 12 + 1}{v:04d}",
                    name=f"村{v}",
                )
                for v in range(1, VILLAGES + 1)
            ],
        )
        s.execute(
            insert(Organisation),
            [dict(id=1, name="劳务经纪人", kind="labour_broker")]
            + [
                dict(
                    id=1 + v, name=f"村{v}村民委员会", kind="village_committee", village_id=v, recognised=True
                )
                for v in range(1, VILLAGES + 1)
            ],
        )
        users = [
            dict(
                id=u, username=f"hr{u}", display_name=f"hr{u}", password_hash="x", roles="hr", created_at=now
            )
            for u in range(1, 6)
        ]
        users += [
            dict(
                id=6, username="admin", display_name="admin", password_hash="x", roles="admin", created_at=now
            )
        ]
        users += [
            dict(
                id=10 + v,
                username=f"v{v}",
                display_name=f"v{v}",
                password_hash="x",
                roles="village",
                created_at=now,
            )
            for v in range(1, VILLAGES + 1)
        ]
        s.execute(insert(User), users)
        s.execute(insert(UserVillage), [dict(user_id=10 + v, village_id=v) for v in range(1, VILLAGES + 1)])
        s.execute(
            insert(Post),
            [
                dict(id=v, village_id=v, title="保洁员", monthly_subsidy=800, places=500, graduate_post=False)
                for v in range(1, VILLAGES + 1)
            ],
        )
    persons = contracts + claims // 10
    for start in range(1, persons + 1, CHUNK_ROWS):
        with db.transaction() as s:
            s.execute(
                insert(Person),
                [
                    dict(
                        id=i,
                        name=f"人员{i}",
                        id_number_enc="x",
                        id_number_hash=f"h{i}",
                        id_tail_hash=None,
                        birth_date=date(1985, 1, 1),
                        sex="女",
                        village_id=(i - 1) % VILLAGES + 1,
                        target_groups="poverty_alleviated",
                        labour_capacity="weak",
                        created_at=now,
                    )
                    for i in range(start, min(start + CHUNK_ROWS, persons + 1))
                ],
            )
    events = []
    for start in range(1, contracts + 1, CHUNK_ROWS):
        rows = []
        for i in range(start, min(start + CHUNK_ROWS, contracts + 1)):
            months = rng.randint(6, 12)
            if i % 5 == 0:  # a contract of the past year, expired and fully claimed
                end = FIRST_DAY - timedelta(days=rng.randint(30, 300))
                state, mark = "expired", end
            else:  # active, ending any day of the next year (yesterday's end expires tonight)
                end = FIRST_DAY + timedelta(days=rng.randint(-1, 364))
                state = "active"
            first = add_months(end + timedelta(days=1), -months)
            if state == "active":
                mark = min(through, end) if first <= through else None
                for d in (30, 7):
                    if (end - FIRST_DAY).days < d:  # the window opened on an earlier day
                        events.append(
                            dict(
                                key=f"renewal:{i}:{d}",
                                at=now,
                                subject_type="contract",
                                subject_id=i,
                                note="已发送",
                            )
                        )
            v = (i - 1) % VILLAGES + 1
            rows.append(
                dict(
                    id=i,
                    post_id=v,
                    person_id=i,
                    village_id=v,
                    kind="service_agreement",
                    start_date=first,
                    end_date=end,
                    monthly_subsidy=800,
                    insurance_policy_no=f"P{i}",
                    state=state,
                    version=4,
                    submitted_by=1,
                    due_at=None,
                    overdue=False,
                    created_at=now,
                    updated_at=now,
                    subsidy_through=mark,
                )
            )
        with db.transaction() as s:
            s.execute(insert(Contract), rows)
    for start in range(0, len(events), CHUNK_ROWS):
        with db.transaction() as s:
            s.execute(insert(SweepEvent), events[start : start + CHUNK_ROWS])
    names, weights = [s for s, _ in STATES], [w for _, w in STATES]
    for start in range(1, claims + 1, CHUNK_ROWS):
        rows = []
        for i in range(start, min(start + CHUNK_ROWS, claims + 1)):
            state = rng.choices(names, weights)[0]
            waiting = state in ("submitted", "village_verified", "hr_reviewed")
            live = state not in ("rejected", "withdrawn", "expired")
            if waiting:  # due anywhere in the 30 days either side; past due is flagged already
                due = now + timedelta(minutes=rng.randint(-30 * 1440, 30 * 1440))
            elif state == "returned":  # 30 days to resubmit, the oldest expire in the next days
                due = now + timedelta(minutes=rng.randint(1, 30 * 1440))
            else:
                due = None
            v = rng.randint(1, VILLAGES)
            rows.append(
                dict(
                    id=i,
                    subsidy_type=rng.choice(TYPES),
                    person_id=rng.randint(1, persons),
                    claimant_org_id=1,
                    village_id=v,
                    payee_kind="person",
                    policy_year=2026,
                    facts={},
                    amount=300,
                    rule="bench",
                    rule_explanation="",
                    state=state,
                    dedupe_key=f"k{i}" if live else None,
                    version=1,
                    submitted_by=1,
                    due_at=due,
                    overdue=bool(waiting and due < now),
                    created_at=now,
                    updated_at=now,
                )
            )
        with db.transaction() as s:
            s.execute(insert(Claim), rows)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:  # the rows above came with their ids: move the sequences on
            for table in (
                "township",
                "village",
                "organisation",
                "app_user",
                "post",
                "person",
                "contract",
                "claim",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))


def child(url: str, at: str, chunk: int) -> None:
    """One timed sweep in this process; prints seconds, RSS before and peak, and the counts."""
    from store.sweep.runner import run_sweep
    from workflow.clock import FrozenClock

    db = Database.connect(url, SECRET, FrozenClock(datetime.fromisoformat(at)))
    with db.engine.connect() as conn:  # connect and load what every process loads once
        conn.execute(text("SELECT 1"))
    before = rss_mb()
    started = time.perf_counter()
    report = run_sweep(db, runner="bench", chunk=chunk)
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "rss_before": before, "peak": peak, "counts": dict(report.counts)}))


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """This process's peak RSS. Not ``getrusage``: on Linux its ``ru_maxrss`` survives exec, so
    a child would report the peak of the parent it was forked from (the loader, 120 MB)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_sweep(url: str, at: datetime, chunk: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, at.isoformat(), str(chunk)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


WORK = {
    "contracts_expired": "contracts expired",
    "claims_expired": "returned claims expired",
    "claims_overdue": "claims flagged overdue",
    "reminders_sent": "reminders sent",
    "post_claims_opened": "post claims opened",
}


def measure(name: str, url: str, contracts: int, claims: int, days: int, chunk: int) -> list[str]:
    db = Database.connect(url, SECRET)
    started = time.perf_counter()
    populate(db, contracts, claims, random.Random(533422))
    db.engine.dispose()
    print(
        f"  {name}: populated {contracts:,} contracts, {claims:,} claims in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    lines, ordinary = [], []
    for n in range(days + 1):
        day = FIRST_DAY + timedelta(days=n) if n < days else date(2026, 12, 1)
        if n == days and day <= FIRST_DAY + timedelta(days=days - 1):
            break
        at = datetime.combine(day, datetime.min.time()) + timedelta(hours=SWEEP_HOUR)
        # On the 1st the month's post claims are opened over several runs (a cap per run):
        # the following runs, 5 minutes apart as the server would make them, are timed too.
        for run in range(1, 10):
            r = timed_sweep(url, at, chunk)
            work = ", ".join(f"{label} {r['counts'].get(k, 0):,}" for k, label in WORK.items())
            label = "ordinary day" if day.day != 1 else f"month start, run {run}"
            print(
                f"    {day} {at:%H:%M} {r['seconds']:.2f} s, RSS {r['rss_before']:.0f} → peak "
                f"{r['peak']:.0f} MB ({work})",
                flush=True,
            )
            if day.day != 1:
                ordinary.append(r)
            lines.append(
                f"| {name} | {contracts:,} / {claims:,} | {day} {at:%H:%M} ({label}) "
                f"| {r['seconds']:.2f} | {r['rss_before']:.0f} | {r['peak']:.0f} | {work} |"
            )
            if day.day != 1 or not r["counts"].get("post_claims_deferred"):
                break
            at += timedelta(minutes=5)
    if ordinary:
        med = statistics.median(r["seconds"] for r in ordinary)
        peak = max(r["peak"] for r in ordinary)
        lines.append(
            f"| {name} | {contracts:,} / {claims:,} | **median of {len(ordinary)} ordinary "
            f"days** | **{med:.2f}** | | {peak:.0f} (max) | |"
        )
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        help="contracts; claims are ten times as many (default: 10000 100000)",
    )
    ap.add_argument(
        "--days",
        type=int,
        default=5,
        help="ordinary days swept one after another from 2026-11-26, then the "
        "month start 2026-12-01 if not among them (default 5: 26-30 Nov)",
    )
    ap.add_argument("--chunk", type=int, default=CHUNK, help=f"the sweep's chunk (default {CHUNK})")
    ap.add_argument("--db", default="both", choices=["sqlite", "pg", "both"])
    # A database of its own: the other benchmarks drop and recreate theirs.
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/fuzhi_bench_sweep")
    args = ap.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; sweep at {SWEEP_HOUR:02d}:00 on each day, "
        f"chunk {args.chunk}, each sweep in a fresh process\n",
        flush=True,
    )
    lines = []
    for contracts in args.sizes:
        if args.db in ("sqlite", "both"):
            lines += measure("SQLite", fresh_sqlite(), contracts, contracts * 10, args.days, args.chunk)
        if args.db in ("pg", "both"):
            lines += measure(
                "PostgreSQL", fresh_pg(args.pg), contracts, contracts * 10, args.days, args.chunk
            )
    print(
        "\n| database | contracts / claims | day | seconds | RSS before MB | peak RSS MB "
        "| work done |\n|---|---|---|---|---|---|---|"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
