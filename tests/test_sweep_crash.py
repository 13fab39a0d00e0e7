"""A sweep stopped at any point and run again ends where one clean run ends: nothing half-done,
nothing done twice. Stopped by an exception after a number of chunks, by SIGKILL in a real
``fuzhi sweep`` process, and raced by a second sweep on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time as wallclock
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, make_url, select, text

from store.db import Database
from store.models import Claim, ClaimHistory, Contract, ContractHistory, Organisation
from store.notices.models import Notification
from store.sweep.models import SweepEvent, SweepRun
from store.sweep.runner import SweepInterrupted, run_sweep
from workflow.clock import CLOCK_ENV, FrozenClock
from workflow.dates import add_months

from .builders import add_admin, claim_in, county
from .builders_years import add_policy_years
from .conftest import TEST_SECRET, is_postgres, migrate
from .test_sweep_time import add_contracts, contract_months, term

NOW = datetime(2026, 11, 28, 10, 0)  # the day these cases are written for

CHUNK = 5  # small, so that every task takes several chunks
ROOT = Path(__file__).resolve().parents[1]


# --- one dataset with work for every task ------------------------------------------------------


def build(db: Database, clock: FrozenClock) -> None:
    """At 2026-11-28: returned claims past their 30 days, claims waiting past their deadlines,
    contracts ended while the sweep was off, contracts inside both reminder windows, and
    contracts with months of post subsidy to open."""
    clock.current = NOW  # the county and admin are made (and audited) at the same time in every run
    c = county(db)
    add_admin(db)
    clock.current = NOW - timedelta(days=40)
    for state, n in (("returned", 7), ("submitted", 8), ("village_verified", 6)):
        for _ in range(n):
            claim_in(db, c, state)
    clock.current = NOW
    ended = [term(date(2026, 6 + i % 3, 1 + i), 2 + i % 2) for i in range(24)]
    ending = [(date(2026, 1 + i % 9, 1), date(2026, 11, 28) + timedelta(days=i)) for i in range(31)]
    serving = [term(date(2026, 3 + i % 9, 1 + i % 28), 6 + i % 7) for i in range(57)]
    assert all(last < date(2026, 11, 28) for _, last in ended)
    add_contracts(db, c, ended + ending + serving)


def snapshot(db: Database) -> dict[str, Any]:
    """Everything the sweep writes, by natural keys (ids taken by a rolled-back chunk are
    not reused on PostgreSQL), without the sweep_run log."""
    with db.sessions() as s:
        orgs = dict(s.execute(select(Organisation.id, Organisation.name)).all())
        claim_key = {
            row.id: (row.person_id, row.subsidy_type, row.contract_id, json.dumps(row.facts, sort_keys=True))
            for row in s.execute(
                select(Claim.id, Claim.person_id, Claim.subsidy_type, Claim.contract_id, Claim.facts)
            )
        }
        return {
            "contracts": s.execute(
                select(
                    Contract.id, Contract.state, Contract.subsidy_through, Contract.overdue, Contract.version
                ).order_by(Contract.id)
            ).all(),
            "claims": sorted(
                (
                    claim_key[r.id],
                    r.state,
                    r.overdue,
                    str(r.amount),
                    r.due_at,
                    r.created_at,
                    r.updated_at,
                    orgs[r.claimant_org_id],
                    r.dedupe_key,
                    r.version,
                )
                for r in s.scalars(select(Claim))
            ),
            "claim_history": Counter(
                (claim_key[h.claim_id], h.trigger, h.from_state, h.to_state, h.actor_id, h.at, h.comment)
                for h in s.scalars(select(ClaimHistory))
            ),
            "contract_history": Counter(
                s.execute(
                    select(
                        ContractHistory.contract_id,
                        ContractHistory.trigger,
                        ContractHistory.from_state,
                        ContractHistory.to_state,
                        ContractHistory.actor_id,
                        ContractHistory.at,
                        ContractHistory.comment,
                    )
                ).all()
            ),
            "sweep_events": sorted(
                s.execute(
                    select(
                        SweepEvent.key,
                        SweepEvent.at,
                        SweepEvent.subject_type,
                        SweepEvent.subject_id,
                        SweepEvent.note,
                    )
                ).all()
            ),
            "notifications": Counter(
                s.execute(
                    select(
                        Notification.user_id,
                        Notification.kind,
                        Notification.title,
                        Notification.body,
                        Notification.link,
                        Notification.subject_type,
                        Notification.subject_id,
                        Notification.created_at,
                        Notification.email_state,
                    )
                ).all()
            ),
            "committees": sorted(
                s.execute(select(Organisation.name, Organisation.kind, Organisation.village_id)).all()
            ),
        }


def run_counts(db: Database) -> list[tuple[dict[str, int], str | None, datetime | None]]:
    with db.sessions() as s:
        return [
            (dict(r.counts), r.error, r.finished_at)
            for r in s.scalars(select(SweepRun).order_by(SweepRun.id))
        ]


def total(counts: list[dict[str, int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for c in counts:
        out.update(c)
    return +out


@pytest.fixture(scope="module")
def reference(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same dataset in a database of its own, swept once without interruption."""
    if is_postgres():
        url = make_url(template_db)
        url = url.set(database=f"{url.database}_sweep_reference")
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        migrate(url.render_as_string(hide_password=False))
        target = url.render_as_string(hide_password=False)
    else:
        admin = None
        path = tmp_path_factory.mktemp("reference") / "reference.db"
        shutil.copy(template_db, path)
        target = f"sqlite:///{path}"
    clock = FrozenClock(NOW)
    db = Database.connect(target, TEST_SECRET, clock)
    build(db, clock)
    chunks: list[str] = []
    report = run_sweep(db, chunk=CHUNK, after_chunk=chunks.append)
    result = {"snapshot": snapshot(db), "counts": +Counter(report.counts), "chunks": len(chunks)}
    db.engine.dispose()
    yield result
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        admin.dispose()


def crash_after(n: int):  # type: ignore[no-untyped-def]
    """A hook that stops the run as the n-th chunk is committed."""
    calls = Counter()

    def hook(name: str) -> None:
        calls["chunks"] += 1
        if calls["chunks"] == n:
            raise SweepInterrupted(f"stopped at chunk {n} ({name})")

    return hook


# --- (a) stopped after a number of chunks ------------------------------------------------------


def test_the_dataset_gives_every_task_several_chunks(reference):
    counts = reference["counts"]
    assert counts["contracts_expired"] >= 24 and counts["claims_expired"] == 7
    assert counts["claims_overdue"] == 14 and counts["reminders_sent"] >= 31
    assert counts["reminders_superseded"] >= 8 and counts["post_claims_opened"] > 300
    assert reference["chunks"] > 40


@pytest.mark.parametrize("n", [1, 2, 5, 6, 8, 11, 14, 20, 30, 40])
def test_a_sweep_stopped_after_n_chunks_then_run_again_ends_as_one_clean_run(db, clock, reference, n):
    build(db, clock)
    with pytest.raises(SweepInterrupted):
        run_sweep(db, chunk=CHUNK, after_chunk=crash_after(n))
    run_sweep(db, chunk=CHUNK)
    assert snapshot(db) == reference["snapshot"]
    (_, error, finished), (_, rerun_error, _) = run_counts(db)
    assert error.startswith(f"SweepInterrupted: stopped at chunk {n} (")
    assert finished == clock.current and rerun_error is None
    run_sweep(db, chunk=CHUNK)  # and a third run finds nothing more to do
    assert snapshot(db) == reference["snapshot"]


def test_a_sweep_stopped_again_and_again_still_ends_as_one_clean_run(db, clock, reference):
    build(db, clock)
    # A rerun starts over from the first chunk that still has work (and the reminder window's
    # contracts, which are read again on every run), so a stop may come after the work is done.
    stopped = 0
    for n in (25, 3, 17, 9, 33, 1, 12, 6, 2):
        try:
            run_sweep(db, chunk=CHUNK, after_chunk=crash_after(n))
        except SweepInterrupted:
            stopped += 1
    run_sweep(db, chunk=CHUNK)
    assert snapshot(db) == reference["snapshot"]
    assert stopped >= 5 and sum(error is not None for _, error, _ in run_counts(db)) == stopped


def test_an_interrupted_run_logs_only_the_work_it_committed(db, clock, reference):
    build(db, clock)
    with pytest.raises(SweepInterrupted):
        run_sweep(db, chunk=CHUNK, after_chunk=crash_after(11))
    run_sweep(db, chunk=CHUNK)
    assert total([c for c, _, _ in run_counts(db)]) == reference["counts"]


# --- (b) a real process, killed -----------------------------------------------------------------


def count(db: Database, model: Any) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_killed_sweep_process_leaves_whole_chunks_and_the_next_run_finishes(db, db_url, tmp_path):
    today = db.clock.now().date()
    this_month = date(today.year, today.month, 1)
    terms = [term(add_months(this_month, -(1 + i % 6)), 12) for i in range(3000)]
    add_policy_years(db, *{add_months(this_month, -k).year for k in range(7)})
    county_ = county(db)
    ids = add_contracts(db, county_, terms)
    months = {
        cid: [m for m, last in contract_months(first, last) if last < today]
        for cid, (first, last) in zip(ids, terms, strict=True)
    }
    wanted = sum(len(m) for m in months.values())
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "FUZHI_SECRET_KEY": TEST_SECRET.decode(),
        "FUZHI_DATA_DIR": str(tmp_path),
        CLOCK_ENV: db.clock.now().isoformat(),
    }
    cmd = [sys.executable, "-m", "cli", "sweep"]

    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = wallclock.monotonic() + 120
        while (seen := count(db, Claim)) == 0 and proc.poll() is None:
            assert wallclock.monotonic() < deadline, "no chunk committed in 2 minutes"
            wallclock.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    at_kill = count(db, Claim)
    assert 0 < seen <= at_kill < wanted  # killed in the middle

    def consistent() -> dict[int, list[str]]:
        """Every contract is whole: all its months open and marked, or none and unmarked."""
        with db.sessions() as s:
            marks = dict(s.execute(select(Contract.id, Contract.subsidy_through)).all())
            got: dict[int, list[str]] = {cid: [] for cid in ids}
            for cid, facts in s.execute(select(Claim.contract_id, Claim.facts)):
                got[cid].append(facts["month"])
            assert count(db, ClaimHistory) == sum(len(m) for m in got.values())
        for cid in ids:
            if marks[cid] is None:
                assert got[cid] == [], cid
            else:
                assert sorted(got[cid]) == months[cid], cid
                assert marks[cid] == this_month - timedelta(days=1), cid
        return got

    consistent()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    got = consistent()
    assert all(got[cid] for cid in ids) and sum(len(m) for m in got.values()) == wanted
    with db.sessions() as s:
        keys = Counter(s.scalars(select(Claim.dedupe_key)))
        runs = s.execute(
            select(SweepRun.finished_at, SweepRun.error, SweepRun.counts).order_by(SweepRun.id)
        ).all()
    assert len(keys) == wanted and set(keys.values()) == {1}
    # The killed run could not log its end: the next run marked it interrupted, and logged
    # its own end with only what was left to do.
    (killed_end, killed_error, _), (end, error, counts) = runs
    assert (killed_end, error) == (None, None) and end is not None
    assert killed_error.startswith("运行中断（进程退出）")
    assert counts["post_claims_opened"] == wanted - at_kill


# --- (c) two sweeps at once ----------------------------------------------------------------------


@pytest.mark.postgres
def test_two_sweeps_started_at_once_do_the_work_once(db, clock, reference):
    build(db, clock)
    barrier = threading.Barrier(2)
    reports: list[Any] = [None, None]
    errors: list[BaseException] = []

    def sweep(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            reports[i] = run_sweep(db, chunk=CHUNK, runner=f"thread-{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    ran = [r for r in reports if not r.skipped]
    # One stands aside; or, if the first had finished before the second asked, the second
    # finds nothing left to do.
    assert len(ran) == 1 or not any(
        ran[1].counts.get(k)
        for k in (
            "contracts_expired",
            "claims_expired",
            "claims_overdue",
            "reminders_sent",
            "post_claims_opened",
        )
    )
    assert snapshot(db) == reference["snapshot"]
    assert total([+Counter(r.counts) for r in ran]) == reference["counts"]
