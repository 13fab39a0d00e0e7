"""Transitions through the service layer (one transaction each, history row included) against
the same database's raw limit: a bare INSERT+COMMIT loop through the same driver.

    .venv/bin/python bench/bench_transitions.py [--n 1000] [--runs 5] [--pg URL]

Prints a Markdown table; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
import tracemalloc
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import transitions
from sqlalchemy import create_engine, insert, text

from bench.databases import fresh_pg, fresh_sqlite
from store.db import Database
from store.models import Claim, Organisation, Person, Township, Village
from store.transitions import transition
from workflow.clock import FrozenClock
from workflow.engine import fire
from workflow.machines import CLAIM
from workflow.roles import Actor, Role

NOW = datetime(2026, 11, 28, 10)
SECRET = b"bench-secret-0123456789abcdef"
VERIFIER = Actor(user_id=2, roles=frozenset({Role.VILLAGE}), village_ids=frozenset({1}), name="bench")


def seed_claims(db: Database, n: int) -> list[int]:
    """n submitted claims inserted in bulk: the benchmark times the steps, not the filing."""
    with db.transaction() as s:
        s.add(Township(id=1, code="533422101", name="升平镇"))
        s.flush()
        s.add(Village(id=1, township_id=1, code="533422101001", name="阿东村"))
        s.add(Organisation(id=1, name="劳务经纪人", kind="labour_broker"))
        s.flush()
        s.execute(
            insert(Person),
            [
                dict(
                    id=i,
                    name=f"人员{i}",
                    id_number_enc="x",
                    id_number_hash=f"h{i}",
                    id_tail_hash=None,
                    birth_date=datetime(1990, 1, 1).date(),
                    sex="女",
                    village_id=1,
                    target_groups="relocated",
                    labour_capacity="full",
                    created_at=NOW,
                )
                for i in range(1, n + 1)
            ],
        )
        s.execute(
            insert(Claim),
            [
                dict(
                    subsidy_type="labour_export_service",
                    person_id=i,
                    claimant_org_id=1,
                    village_id=1,
                    payee_kind="claimant",
                    policy_year=2026,
                    facts={},
                    amount=Decimal("300"),
                    rule="labour_export_service.out_of_province",
                    rule_explanation="",
                    dedupe_key=f"k{i}",
                    state="submitted",
                    version=1,
                    submitted_by=1,
                    overdue=False,
                    created_at=NOW,
                    updated_at=NOW,
                )
                for i in range(1, n + 1)
            ],
        )
    with db.sessions() as s:
        return list(s.scalars(text("SELECT id FROM claim ORDER BY id")))


def service_rate(url: str, n: int) -> tuple[float, int]:
    db = Database.connect(url, SECRET, FrozenClock(NOW))
    ids = seed_claims(db, n)
    made = count_machines()
    start = time.perf_counter()
    for claim_id in ids:
        transition(db, "claim", claim_id, "verify", VERIFIER)
    elapsed = time.perf_counter() - start
    machines = count_machines() - made
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM claim_history")).scalar() == n
    db.engine.dispose()
    return n / elapsed, machines


def raw_rate(url: str, n: int) -> float:
    """INSERT + COMMIT per row through the same DBAPI driver, no ORM: the machine's limit."""
    engine = create_engine(url) if not url.startswith("sqlite") else None
    if engine is None:
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # as the app sets it
        conn.execute("CREATE TABLE IF NOT EXISTS raw_bench (id INTEGER PRIMARY KEY, v TEXT)")
        start = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO raw_bench (v) VALUES (?)", (f"v{i}",))
            conn.commit()
        elapsed = time.perf_counter() - start
        conn.close()
        return n / elapsed
    raw = engine.raw_connection()
    cur = raw.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS raw_bench (id serial PRIMARY KEY, v text)")
    raw.commit()
    start = time.perf_counter()
    for i in range(n):
        cur.execute("INSERT INTO raw_bench (v) VALUES (%s)", (f"v{i}",))
        raw.commit()
    elapsed = time.perf_counter() - start
    raw.close()
    engine.dispose()
    return n / elapsed


def ideal_rate(url: str, n: int) -> float:
    """The same step hand-written on the bare driver (SELECT, version-checked UPDATE,
    history INSERT, COMMIT): what a read-check-write transaction can reach at best here."""
    db = Database.connect(url, SECRET, FrozenClock(NOW))
    ids = seed_claims(db, n)
    db.engine.dispose()
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA synchronous=FULL")
        mark = "?"
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        mark = "%s"
    cur = conn.cursor()
    start = time.perf_counter()
    for i in ids:
        cur.execute(f"SELECT state, version, village_id, submitted_by FROM claim WHERE id = {mark}", (i,))
        _state, version, _village, _by = cur.fetchone()
        cur.execute(
            f"UPDATE claim SET state = 'village_verified', version = version + 1, "
            f"verified_by = 2, due_at = {mark}, updated_at = {mark} "
            f"WHERE id = {mark} AND version = {mark}",
            (NOW, NOW, i, version),
        )
        cur.execute(
            f"INSERT INTO claim_history (claim_id, trigger, from_state, to_state, actor_id, "
            f"actor_name, role, at) VALUES ({mark}, 'verify', 'submitted', "
            f"'village_verified', 2, 'bench', 'village', {mark})",
            (i, NOW),
        )
        conn.commit()
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


_created = 0


def count_machines() -> int:
    return _created


def _counting_init(original):  # type: ignore[no-untyped-def]
    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        global _created
        _created += 1
        original(self, *args, **kwargs)

    return init


transitions.Machine.__init__ = _counting_init(transitions.Machine.__init__)  # type: ignore[method-assign]


class Row:
    def __init__(self) -> None:
        self.state = "submitted"
        self.village_id = 1
        self.claimant_org_id = 1
        self.submitted_by = 1
        self.verified_by = None
        self.due_at = None


def shared_fire_us(n: int = 20000) -> float:
    rows = [Row() for _ in range(n)]
    start = time.perf_counter()
    for row in rows:
        fire(CLAIM, row, "verify", VERIFIER, NOW)
    return (time.perf_counter() - start) / n * 1e6


def machine_per_row(n: int = 500) -> tuple[float, float]:
    """What the shared machine avoids: a Machine built per object (ms each, KB each)."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    keep = []
    for _ in range(n):
        row = Row()
        keep.append(
            transitions.Machine(
                model=row,
                states=[str(s) for s in CLAIM.states],
                initial="submitted",
                transitions=[
                    {
                        "trigger": s.trigger,
                        "source": [str(x) for x in s.source],
                        "dest": s.dest and str(s.dest),
                    }
                    for s in CLAIM.steps
                ],
                auto_transitions=False,
            )
        )
    elapsed = time.perf_counter() - start
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed / n * 1e3, size / n / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/fuzhi_bench")
    args = ap.parse_args()

    print(
        f"machine: {platform.node()} {platform.machine()}, Python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cores; n={args.n} per run, median of {args.runs} runs\n"
    )
    print(
        "| database | raw INSERT+COMMIT /s | hand-written step /s | service transitions /s "
        "| service / raw | Machines built |"
    )
    print("|---|---|---|---|---|---|")
    for name, make in (("SQLite", lambda: fresh_sqlite()), ("PostgreSQL", lambda: fresh_pg(args.pg))):
        raws, ideals, svcs, built = [], [], [], 0
        for _ in range(args.runs):
            url = make()
            rate, machines = service_rate(url, args.n)
            svcs.append(rate)
            built += machines
            raws.append(raw_rate(url, args.n))
            ideals.append(ideal_rate(make(), args.n))
        raw, ideal, svc = (statistics.median(x) for x in (raws, ideals, svcs))
        print(
            f"| {name} | {raw:,.0f} | {ideal:,.0f} ({ideal / raw:.2f}) | {svc:,.0f} "
            f"| {svc / raw:.2f} | {built} |"
        )
    fire_us = statistics.median(shared_fire_us() for _ in range(args.runs))
    per_row_ms, per_row_kb = machine_per_row()
    print(f"\nshared machine, engine.fire (checks + machine + deadline): {fire_us:.1f} µs per step")
    print(f"a Machine per object instead: {per_row_ms:.2f} ms and {per_row_kb:.0f} KB each")


if __name__ == "__main__":
    main()
