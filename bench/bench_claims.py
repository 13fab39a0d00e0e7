"""Claims end to end through the services an agent, a village verifier, HR and finance use,
against the same database's raw limit (issue 12).

    .venv/bin/python bench/bench_claims.py [--n 300] [--runs 5] [--pg URL] [--growth]

Each run, on a fresh database:
- raw: a bare INSERT+COMMIT loop through the same driver (the machine's limit);
- filing: register a person and file one claim, as the agent API does it (``register_person``
  then ``file_and_read``: ID check, encryption, keyed hash, every rule, amount, deadline,
  claim + history row, the claim read back), one transaction each: rate, client CPU per
  claim, statements sent per claim (besides BEGIN/COMMIT);
- end to end: file, verify (village), approve (HR), pay (finance, through a payout batch:
  one batch for the run's claims, then one transaction per line): rate and CPU per claim.
``--growth`` files workshop absorption claims for a claimant that already has 0, 10,000 and
100,000 live claims of the same type: CPU and statements per claim at each level.

Prints Markdown; docs/benchmarks.md records the figures. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert
from stdnum.cn import ric

from bench.bench_transitions import raw_rate
from bench.databases import fresh_pg, fresh_sqlite
from store.access import actor_for, create_user, sign_in
from store.claims import ClaimInput, file_and_read
from store.db import Database
from store.models import Claim, Person, Township, Village
from store.payouts import confirm_paid, create_batch
from store.people import PersonInput, PersonRef, create_organisation, register_person
from store.transitions import transition
from workflow.clock import FrozenClock
from workflow.roles import Actor

NOW = datetime(2026, 11, 28, 10)
# Commits a claim needs end to end: register, file, verify, approve, its payout line (the
# batch's own two are shared by the run's claims). The physical limit is raw ÷ this.
COMMITS = 5
SECRET = b"bench-secret-0123456789abcdef"
VILLAGE_CODE = "533422101001"
EXPORT_FACTS = {"destination": "out_of_province", "employment_start": "2026-03-01"}
WORKSHOP_FACTS = {"employment_start": "2026-01-05", "wages_paid": "3000"}


def id_number(i: int) -> str:
    """The i-th valid resident ID of the county (distinct birth dates and sequence numbers)."""
    birth = date(1966, 1, 1) + timedelta(days=i // 900)
    body = f"533422{birth:%Y%m%d}{100 + i % 900:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class County:
    db: Database
    agent: Actor
    workshop_agent: Actor
    workshop_id: int
    village_id: int
    verifier: Actor
    hr: Actor
    finance: Actor
    next_person: int = 0


def county(url: str) -> County:
    db = Database.connect(url, SECRET, FrozenClock(NOW))
    with db.transaction() as s:
        township = Township(code="533422101", name="升平镇")
        s.add(township)
        s.flush()
        village = Village(township_id=township.id, code=VILLAGE_CODE, name="阿东村")
        s.add(village)
        s.flush()
        broker = create_organisation(
            s, db, name="德钦劳务经纪人扎西", kind="labour_broker", bank_account="6222020200112233445"
        )
        workshop = create_organisation(
            s, db, name="阿东村帮扶车间", kind="workshop", recognised=True, bank_account="6222020200112233446"
        )

        def user(name: str, roles: list[str], **kw: Any) -> Actor:
            u = create_user(
                s, db, username=name, password="password-123", roles=roles, display_name=name, **kw
            )
            return actor_for(s, u)

        return County(
            db,
            agent=user("agent1", ["agent"], org_id=broker.id),
            workshop_agent=user("agent2", ["agent"], org_id=workshop.id),
            workshop_id=workshop.id,
            village_id=village.id,
            verifier=user("village1", ["village"], village_ids=[village.id]),
            hr=user("hr1", ["hr"]),
            finance=user("finance1", ["finance"]),
        )


@contextmanager
def counting(db: Database) -> Iterator[list[int]]:
    """Statements sent to the database inside the block (BEGIN and COMMIT are not statements)."""
    sent = [0]

    def count(*_: Any) -> None:
        sent[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def file_one(c: County, agent: Actor, subsidy: str, facts: dict[str, str]) -> int:
    """What the agent API does for a new person: register them, then file the claim by id."""
    c.next_person += 1
    person, _ = register_person(
        c.db,
        agent,
        PersonInput(
            name="卓玛",
            id_number=id_number(c.next_person),
            village_id=0,
            target_groups=("poverty_alleviated",),
            bank_account="6217000000000000123",
        ),
        VILLAGE_CODE,
    )
    return file_and_read(
        c.db, agent, PersonRef(person_id=person.id), lambda pid: ClaimInput(subsidy, pid, None, facts)
    ).claim.id


@dataclass
class Measured:
    rate: float  # per second, wall clock
    cpu_ms: float  # client CPU per claim
    statements: float  # per claim


def filing(c: County, n: int) -> Measured:
    with counting(c.db) as sent:
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(n):
            file_one(c, c.agent, "labour_export_service", EXPORT_FACTS)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return Measured(n / wall, cpu / n * 1000, sent[0] / n)


def end_to_end(c: County, n: int) -> Measured:
    with counting(c.db) as sent:
        cpu, start = time.process_time(), time.perf_counter()
        ids = []
        for _ in range(n):
            claim_id = file_one(c, c.agent, "labour_export_service", EXPORT_FACTS)
            transition(c.db, "claim", claim_id, "verify", c.verifier)
            transition(c.db, "claim", claim_id, "approve", c.hr)
            ids.append(claim_id)
        batch = create_batch(c.db, c.finance, ids)
        outcomes = confirm_paid(c.db, c.finance, batch.id, "YH-BENCH-0001", date(2026, 11, 27))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert [o.outcome for o in outcomes] == ["paid"] * n, outcomes[:3]
    return Measured(n / wall, cpu / n * 1000, sent[0] / n)


def add_live_claims(c: County, count: int) -> None:
    """``count`` more live workshop claims of the same claimant, each for a person of its own,
    inserted in bulk (the benchmark times the filing after them, not them)."""
    with c.db.transaction() as s:
        for lo in range(0, count, 5000):
            batch = range(lo, min(lo + 5000, count))
            tag = f"bulk{c.next_person}-"
            ids = s.scalars(
                insert(Person).returning(Person.id, sort_by_parameter_order=True),
                [
                    dict(
                        name="人员",
                        id_number_enc="x",
                        id_number_hash=f"{tag}{i}",
                        id_tail_hash=None,
                        birth_date=date(1990, 1, 1),
                        sex="女",
                        village_id=c.village_id,
                        target_groups="poverty_alleviated",
                        labour_capacity="full",
                        created_at=NOW,
                    )
                    for i in batch
                ],
            ).all()
            s.execute(
                insert(Claim),
                [
                    dict(
                        subsidy_type="workshop_reward",
                        person_id=pid,
                        claimant_org_id=c.workshop_id,
                        village_id=c.village_id,
                        payee_kind="claimant",
                        policy_year=2026,
                        facts=WORKSHOP_FACTS,
                        amount=Decimal("600"),
                        rule="workshop_reward",
                        rule_explanation="",
                        dedupe_key=f"{tag}{pid}",
                        state="submitted",
                        version=1,
                        submitted_by=c.workshop_agent.user_id,
                        overdue=False,
                        created_at=NOW,
                        updated_at=NOW,
                    )
                    for pid in ids
                ],
            )
    if c.db.dialect == "postgresql":
        # What autovacuum does to a table that grew this much: the planner then knows the
        # business has thousands of claims (statistics of a near-empty table would have it
        # build a bitmap of all of them to find the first hundred).
        with c.db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE claim")
            conn.exec_driver_sql("ANALYZE person")
    c.next_person += 1  # a fresh tag for the next bulk


def growth(url: str, levels: tuple[int, ...], n: int) -> list[tuple[int, Measured]]:
    c = county(url)
    out, have = [], 0
    for level in levels:
        add_live_claims(c, level - have)
        have = level
        with counting(c.db) as sent:
            cpu, start = time.process_time(), time.perf_counter()
            for _ in range(n):
                file_one(c, c.workshop_agent, "workshop_reward", WORKSHOP_FACTS)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        have += n
        out.append((level, Measured(n / wall, cpu / n * 1000, sent[0] / n)))
    c.db.engine.dispose()
    return out


def sign_in_ms(url: str, n: int = 20) -> tuple[float, float]:
    """Server time of one staff sign-in (argon2 at the installation's profile, the lockout
    reads and writes, a new session row): median and slowest of ``n``. The page handler runs
    it in a worker thread, so the event loop goes on serving meanwhile (tests/test_event_loop.py)."""
    c = county(url)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        sign_in(c.db, "hr1", "password-123")
        times.append((time.perf_counter() - start) * 1000)
    c.db.engine.dispose()
    return statistics.median(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="claims per run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pg", default=None, help="PostgreSQL URL (default: the bench database)")
    ap.add_argument("--growth", action="store_true", help="also measure filing at 0/10k/100k live claims")
    ap.add_argument("--growth-n", type=int, default=100, help="claims filed at each level")
    ap.add_argument("--sqlite-only", action="store_true")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"n = {args.n} claims per run, median of {args.runs} runs\n")
    print(
        "| database | raw INSERT+COMMIT /s | filing /s | CPU ms/claim | statements/claim "
        "| end to end /s | ÷ limit | CPU ms/claim | statements/claim |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    bases = [("SQLite", fresh_sqlite)] + (
        [] if args.sqlite_only else [("PostgreSQL", lambda: fresh_pg(args.pg) if args.pg else fresh_pg())]
    )
    for name, fresh in bases:
        raws, files, e2es = [], [], []
        for _ in range(args.runs):  # interleaved: raw, filing, end to end on one fresh database
            url = fresh()
            raws.append(raw_rate(url, args.n))
            c = county(url)
            files.append(filing(c, args.n))
            e2es.append(end_to_end(c, args.n))
            c.db.engine.dispose()
        med = statistics.median
        print(
            f"| {name} | {med(raws):,.0f} | {med(f.rate for f in files):,.0f} "
            f"| {med(f.cpu_ms for f in files):.1f} | {med(f.statements for f in files):.1f} "
            f"| {med(e.rate for e in e2es):,.0f} "
            f"| {med(e.rate / (r / COMMITS) for e, r in zip(e2es, raws, strict=True)):.2f} "
            f"| {med(e.cpu_ms for e in e2es):.1f} "
            f"| {med(e.statements for e in e2es):.1f} |",
            flush=True,
        )
    print("\n| database | sign-in server time, median ms | slowest ms |")
    print("|---|---|---|")
    for name, fresh in bases:
        median, slowest = sign_in_ms(fresh())
        print(f"| {name} | {median:.1f} | {slowest:.1f} |", flush=True)
    if args.growth:
        print("\n| database | live claims of the claimant | filing /s | CPU ms/claim | statements/claim |")
        print("|---|---|---|---|---|")
        for name, fresh in bases:
            for level, m in growth(fresh(), (0, 10_000, 100_000), args.growth_n):
                print(
                    f"| {name} | {level:,} | {m.rate:,.0f} | {m.cpu_ms:.1f} | {m.statements:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
