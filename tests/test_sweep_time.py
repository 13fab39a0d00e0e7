"""The sweep over 400 simulated days: 1,000 post contracts expire on time and once, every
renewal reminder goes once, every contract-month with a working day on the post gets one
post-subsidy claim once its calendar month is over, and no overdue case waits unflagged;
deadlines follow the official calendar."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

import chinese_calendar
import pytest
from sqlalchemy import func, insert, select

from store.db import Database
from store.models import Claim, ClaimHistory, Contract, ContractHistory, Person, Post
from store.notices.models import Notification
from store.sweep.models import SweepEvent, SweepRun
from store.sweep.runner import run_sweep
from workflow.dates import add_months, month_key

from .builders import County, add_admin, county
from .builders_years import add_policy_years

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


WAITING = ("submitted", "village_verified", "hr_reviewed")
REMINDER_DAYS = (30, 7)
_batch = itertools.count(1)


# --- builders (also used by test_sweep_crash) -------------------------------------------------


def add_contracts(
    db: Database, c: County, terms: Sequence[tuple[date, date]], villages: Sequence[int] | None = None
) -> list[int]:
    """Active contracts (insurance recorded, nothing due), one person and one post each,
    inserted in bulk; returns their ids in the order of ``terms``."""
    villages = villages or (c.village, c.other_village)
    batch = next(_batch)
    now = datetime(2026, 8, 1)
    ids: list[int] = []
    for start in range(0, len(terms), 5000):
        part = list(enumerate(terms[start : start + 5000], start))
        with db.transaction() as s:
            persons = s.scalars(
                insert(Person).returning(Person.id, sort_by_parameter_order=True),
                [
                    dict(
                        name=f"岗位人员{i}",
                        id_number_enc="x",
                        id_number_hash=f"sweep-{batch}-{i}",
                        id_tail_hash=None,
                        birth_date=date(1980, 1, 1),
                        sex="女",
                        village_id=villages[i % len(villages)],
                        target_groups="poverty_alleviated",
                        labour_capacity="weak",
                        created_at=now,
                    )
                    for i, _ in part
                ],
            ).all()
            posts = s.scalars(
                insert(Post).returning(Post.id, sort_by_parameter_order=True),
                [
                    dict(
                        village_id=villages[i % len(villages)],
                        title="保洁员",
                        monthly_subsidy=Decimal("800"),
                        places=1,
                        graduate_post=False,
                    )
                    for i, _ in part
                ],
            ).all()
            ids += s.scalars(
                insert(Contract).returning(Contract.id, sort_by_parameter_order=True),
                [
                    dict(
                        post_id=post,
                        person_id=person,
                        village_id=villages[i % len(villages)],
                        kind="service_agreement",
                        start_date=first,
                        end_date=last,
                        monthly_subsidy=Decimal("800"),
                        insurance_policy_no=f"PICC-{i}",
                        state="active",
                        version=4,
                        submitted_by=c.hr.user_id,
                        verified_by=c.verifier.user_id,
                        reviewed_by=c.hr2.user_id,
                        due_at=None,
                        overdue=False,
                        created_at=now,
                        updated_at=now,
                    )
                    for (i, (first, last)), person, post in zip(part, persons, posts, strict=True)
                ],
            ).all()
    return ids


def term(start: date, months: int) -> tuple[date, date]:
    return start, add_months(start, months) - timedelta(days=1)


def contract_months(start: date, end: date) -> list[tuple[str, date]]:
    """Each calendar month the contract covers on at least one working day, with the month's
    last day: its claim can be opened only once the whole month is over."""
    out, first = [], date(start.year, start.month, 1)
    while first <= end:
        last = add_months(first, 1) - timedelta(days=1)
        day, served = max(first, start), min(last, end)
        while day <= served and not official_workday(day):
            day += timedelta(days=1)
        if day <= served:
            out.append((month_key(first), last))
        first = add_months(first, 1)
    return out


@lru_cache(maxsize=4096)
def official_workday(day: date) -> bool:
    """The State Council's calendar as ``chinesecalendar`` ships it; weekends for years it
    does not know (the sweep's calendar falls back the same way, with no admin overrides)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def nth_working_day_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= official_workday(day)
    return day


def village_due(opened: datetime) -> datetime:
    """Village verification: the end of the 5th working day after the claim was opened."""
    return datetime.combine(nth_working_day_after(opened.date(), 5), time(23, 59, 59))


# --- the schedule: when the sweep ran ---------------------------------------------------------


def schedule(rng: random.Random, first: date, days: int) -> list[datetime]:
    """Sweep times over ``days`` days: mostly once a day at a random time, sometimes twice,
    sometimes not at all (never more than 3 days in a row without one)."""
    times: list[datetime] = []
    skipped = 0
    for n in range(days):
        day = first + timedelta(days=n)
        runs = rng.choices((0, 1, 2), (20, 68, 12))[0] if n else 1
        if runs == 0 and skipped == 3:
            runs = 1
        skipped = skipped + 1 if runs == 0 else 0
        seconds = sorted(rng.sample(range(86_400), runs))
        times += [datetime.combine(day, time()) + timedelta(seconds=s) for s in seconds]
    return times


@dataclass
class Expected:
    """What the sweeps at ``times`` must have done to one contract, worked out independently."""

    expired_at: datetime | None
    reminder_keys: set[str]
    reminders_sent: int
    claims: dict[str, datetime]  # month → when its claim was opened


def expected(cid: int, start: date, end: date, times: Sequence[datetime]) -> Expected:
    def first_after(day: date) -> datetime | None:
        return next((t for t in times if t.date() > day), None)

    done: set[int] = set()
    sent = 0
    for t in times:
        left = (end - t.date()).days
        due = {d for d in REMINDER_DAYS if 0 <= left <= d} - done
        if due:
            done |= due
            sent += 1
    claims = {
        month: at for month, last in contract_months(start, end) if (at := first_after(last)) is not None
    }
    return Expected(first_after(end), {f"renewal:{cid}:{d}" for d in done}, sent, claims)


# --- the year ---------------------------------------------------------------------------------


def random_terms(rng: random.Random, n: int) -> list[tuple[date, date]]:
    """Starts from September 2026 to June 2027, terms of 1–12 months; one in ten ends within
    a few days of the clock's start (2026-11-28), a few of them already past it."""
    terms = []
    for _ in range(n):
        if rng.random() < 0.1:
            end = date(2026, 11, 28) + timedelta(days=rng.randint(-5, 10))
            months = rng.randint(1, 10)
            terms.append((add_months(end + timedelta(days=1), -months), end))
        else:
            start = date(2026, 9, 1) + timedelta(days=rng.randint(0, 301))
            terms.append(term(start, rng.randint(1, 12)))
    return terms


def test_a_year_of_sweeps_does_everything_once_and_on_time(db, clock):
    rng = random.Random(20261128)
    c = county(db)
    add_admin(db)
    add_policy_years(db, 2027)
    terms = random_terms(rng, 1000)
    ids = add_contracts(db, c, terms)
    times = schedule(rng, clock.current.date(), 400)

    overdue_seen = 0
    for t in times:
        clock.current = t
        report = run_sweep(db, runner="time-travel", chunk=400)
        assert not report.skipped
        with db.sessions() as s:
            waiting = select(func.count()).select_from(Claim).where(Claim.state.in_(WAITING))
            # Nothing left waiting past its deadline unflagged, and nothing flagged early.
            assert s.scalar(waiting.where(Claim.due_at < t, Claim.overdue.is_(False))) == 0, t
            assert s.scalar(waiting.where(Claim.due_at >= t, Claim.overdue.is_(True))) == 0, t
            overdue_seen = s.scalar(waiting.where(Claim.overdue.is_(True)))

    want = {cid: expected(cid, first, last, times) for cid, (first, last) in zip(ids, terms, strict=True)}
    with db.sessions() as s:
        runs = s.execute(select(SweepRun.error, SweepRun.finished_at)).all()
        assert len(runs) == len(times) and all(e is None and f for e, f in runs)

        # Every contract expired once, by the first sweep after its last day, by the system.
        expiries = defaultdict(list)
        for cid, at, actor in s.execute(
            select(ContractHistory.contract_id, ContractHistory.at, ContractHistory.actor_id).where(
                ContractHistory.trigger == "expire"
            )
        ):
            expiries[cid].append((at, actor))
        states = dict(s.execute(select(Contract.id, Contract.state)).all())
        for cid, w in want.items():
            if w.expired_at is None:
                assert (states[cid], expiries[cid]) == ("active", []), cid
            else:
                assert (states[cid], expiries[cid]) == ("expired", [(w.expired_at, 0)]), cid
        assert sum(w.expired_at is not None for w in want.values()) > 600  # most of them

        # Every reminder window passed while active: one sweep_event, one notice per sweep that
        # had any due (the nearest), to each HR user and the contract's village verifier.
        events = Counter(s.scalars(select(SweepEvent.key).where(SweepEvent.key.like("renewal:%"))))
        assert set(events) == set().union(*(w.reminder_keys for w in want.values()))
        assert set(events.values()) == {1}
        sent = Counter(s.scalars(select(SweepEvent.subject_id).where(SweepEvent.note == "已发送")))
        notices = Counter(
            s.execute(
                select(Notification.subject_id, Notification.user_id).where(
                    Notification.kind == "renewal_reminder"
                )
            ).all()
        )
        village_of = dict(s.execute(select(Contract.id, Contract.village_id)).all())
        verifier = {c.village: c.verifier.user_id, c.other_village: c.other_verifier.user_id}
        expected_notices = Counter()
        for cid, w in want.items():
            assert sent[cid] == w.reminders_sent, cid
            for user in (c.hr.user_id, c.hr2.user_id, verifier[village_of[cid]]):
                expected_notices[(cid, user)] = w.reminders_sent
        assert notices == +expected_notices
        assert sum(w.reminders_sent for w in want.values()) > 900

        # Every contract-month: one claim, opened by the first sweep after the month ended,
        # due at the end of the fifth working day after.
        claims: dict[tuple[int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
        for cid, facts, created, due in s.execute(
            select(Claim.contract_id, Claim.facts, Claim.created_at, Claim.due_at)
        ):
            claims[(cid, facts["month"])].append((created, due))
        want_claims = {(cid, month): at for cid, w in want.items() for month, at in w.claims.items()}
        assert set(claims) == set(want_claims)
        for key, opened in want_claims.items():
            assert claims[key] == [(opened, village_due(opened))], key
        assert len(want_claims) > 5000
        assert s.scalar(select(func.count()).select_from(ClaimHistory)) == len(want_claims)
        assert (
            s.scalar(select(func.count()).select_from(Claim).where(Claim.overdue.is_(True)))
            == overdue_seen
            > 4000
        )
        # No policy year was missing, so no problem was reported.
        assert (
            s.scalar(
                select(func.count()).select_from(Notification).where(Notification.kind == "sweep_problem")
            )
            == 0
        )


# --- deadlines around the National Day holiday ---------------------------------------------------


def test_claims_opened_around_national_day_are_due_by_the_official_calendar(db, clock):
    c = county(db)
    ends_28, ends_29, runs_on = add_contracts(
        db,
        c,
        [
            (date(2026, 9, 1), date(2026, 9, 28)),
            (date(2026, 9, 1), date(2026, 9, 29)),
            (date(2026, 9, 1), date(2027, 8, 31)),
        ],
    )
    opened: dict[int, datetime] = {}
    for day in (date(2026, 9, 29), date(2026, 9, 30)):
        clock.current = datetime.combine(day, time(10))
        run_sweep(db)
    with db.sessions() as s:  # September is not over: ended contracts wait for it too
        assert s.scalar(select(func.count()).select_from(Claim)) == 0
    clock.current = datetime(2026, 10, 1, 10)
    run_sweep(db)
    with db.sessions() as s:
        for cid, created, due, month in s.execute(
            select(Claim.contract_id, Claim.created_at, Claim.due_at, Claim.facts)
        ):
            assert month["month"] == "2026-09"
            opened[cid] = created
            assert due == village_due(created)  # the official calendar, asked directly
    # Opened on 1 October for all three, however early in September the contract ended.
    assert {cid: at.date() for cid, at in opened.items()} == {
        ends_28: date(2026, 10, 1),
        ends_29: date(2026, 10, 1),
        runs_on: date(2026, 10, 1),
    }
    # 10-1..10-7 are the holiday, 10-10 (a Saturday) a make-up day: the 5th working day after
    # 1 October is 13 October.
    assert {village_due(at) for at in opened.values()} == {datetime(2026, 10, 13, 23, 59, 59)}
    assert not official_workday(date(2026, 10, 7)) and official_workday(date(2026, 10, 10))
    with db.sessions() as s:
        dues = dict(s.execute(select(Claim.contract_id, Claim.due_at)).all())
    assert set(dues.values()) == {datetime(2026, 10, 13, 23, 59, 59)}

    # Flagged only once the last day is over.
    def flagged() -> set[int]:
        with db.sessions() as s:
            return set(s.scalars(select(Claim.contract_id).where(Claim.overdue.is_(True))))

    clock.current = datetime(2026, 10, 12, 23, 59, 59)
    run_sweep(db)
    assert flagged() == set()
    clock.current = datetime(2026, 10, 13, 23, 59, 59)
    run_sweep(db)
    assert flagged() == set()
    clock.current = datetime(2026, 10, 14, 0, 5)
    run_sweep(db)
    assert flagged() == {ends_28, ends_29, runs_on}
