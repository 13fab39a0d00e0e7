"""The claims' periodic work, run by the sweep (``sweep.runner``): returned claims not
resubmitted in time expire, and each contract-month's 公益性岗位补贴 claim is opened once the
month is over (it writes claims, and the contract's ``subsidy_through`` mark with them). Each
works in chunks, each chunk one transaction with its marks (``sweep.chunks``)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from workflow.dates import month_key
from workflow.errors import DomainError
from workflow.roles import SYSTEM_ACTOR, Role
from workflow.rules import ClaimantFacts, ClaimDraft, PersonFacts, evaluate
from workflow.rules.facts import ClaimFacts
from workflow.states import ClaimState as C
from workflow.states import ContractState as K
from workflow.states import SubsidyType

from ..db import Database
from ..models import Claim, Contract, Organisation, Person, User, Village
from ..notices.notifications import Notice, notify, notify_each, users_with_role
from ..opening import opening
from ..policy.versions import version_in_force
from ..sweep.chunks import SweepOptions, SweepReport, chunks, count_by, drain_tally, keep_tally, tell_villages
from ..sweep.models import SweepEvent
from ..timerules import timecache
from ..transitions import fire_chunk
from .filing import ClaimInput, claim_values
from .post_claims import CONTRACT_COLUMNS, contract_facts, month_periods, month_workdays
from .years import load_params

log = logging.getLogger("fuzhi.sweep")
# Monthly post claims opened in one run at most: on the 1st, a county-sized load (tens of
# thousands) is opened over a few runs minutes apart, so no run holds the database long.
POST_CLAIMS_PER_RUN = 10_000
# The contracts whose months are claimed: a contract that ended still has its last months.
POST_CLAIM_STATES = (K.ACTIVE, K.EXPIRED, K.TERMINATED)

# --- returned claims ------------------------------------------------------------------------


def expire_claims(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """Returned claims not resubmitted in time (30 days by default): expired."""
    now = db.clock.now()

    def query(last: int) -> Any:
        return (
            select(Claim.id)
            .where(Claim.state == C.RETURNED, Claim.due_at < now, Claim.id > last)
            .order_by(Claim.id)
        )

    for conn, rows, done in chunks(db, query, report, opts, "expire_claims"):
        moved = fire_chunk(
            db,
            conn,
            "claim",
            [r.id for r in rows],
            "expire",
            SYSTEM_ACTOR,
            "退回后逾期未重新提交，系统按期过期",
        )
        done.add("claims_expired", len(moved))
        keep_tally(conn, "claim_expired", count_by(moved, "claimant_org_id"))
    # The claimant's own staff hear of it (the agent accounts of that organisation).
    with db.transaction() as s:
        by_org = drain_tally(s, "claim_expired")
        agents: dict[int | None, list[int]] = defaultdict(list)  # User.org_id is nullable
        for org_id, uid in s.execute(
            select(User.org_id, User.id).where(User.org_id.in_(list(by_org)), User.active.is_(True))
        ):
            agents[org_id].append(uid)
        report.add(
            "notices",
            notify_each(
                s,
                now,
                [
                    (
                        agents.get(org_id, []),
                        Notice(
                            "claim_expired",
                            f"{n}件退回的补贴申请逾期未重新提交，已过期",
                            "退回的申请须在期限内改正后重新提交；过期的申请可重新申报。",
                        ),
                    )
                    for org_id, n in sorted(by_org.items())
                ],
            ),
        )


# --- monthly post-subsidy claims -----------------------------------------------------------


def open_post_claims(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """One 公益性岗位补贴 claim per contract-month, opened on the first of the next month (never
    before the month is over, however the contract ended), filed in the village committee's
    name for the village to confirm the days on the post; from there the normal claim path.
    Nothing after a termination's date (有序退岗) is opened."""
    now = db.clock.now()
    today = now.date()
    month_start = date(today.year, today.month, 1)
    last_complete = month_start - timedelta(days=1)

    def query(last: int) -> Any:
        through = Contract.subsidy_through
        # Only months up to the last complete one are claimable, so a contract with nothing
        # open up to its end or up to that month has nothing to do.
        return (
            select(*CONTRACT_COLUMNS, Contract.village_id, Contract.subsidy_through)
            .where(
                Contract.state.in_([s.value for s in POST_CLAIM_STATES]),
                Contract.start_date <= last_complete,
                or_(through.is_(None), through < Contract.end_date),
                or_(through.is_(None), through < last_complete),
                Contract.id > last,
            )
            .order_by(Contract.id)
        )

    for conn, rows, done in chunks(db, query, report, opts, "open_post_claims"):
        if report.counts.get("post_claims_opened", 0) >= POST_CLAIMS_PER_RUN:
            report.add("post_claims_deferred", 1)  # the next run goes on from here
            break
        with Session(bind=conn) as s:
            _open_chunk(db, s, done, rows, now)
            s.flush()
    tell_villages(
        db,
        report,
        "post_claims",
        "{n}件公益性岗位补贴申请待核实出勤",
        "系统已按月生成公益性岗位补贴申请，请核实当月出勤后办理“核实通过”或“退回”。",
        "/inbox?subsidy_type=public_welfare_post",
    )


def _open_chunk(db: Database, s: Session, report: SweepReport, rows: Sequence[Any], now: datetime) -> None:
    today = now.date()
    plans: list[tuple[Any, date, date]] = []
    marks: dict[int, date] = {}
    for r in rows:
        end = min(r.end_date, r.terminated_on or r.end_date)
        periods = month_periods(r.start_date, end, r.subsidy_through, today)
        plans.extend((r, first, last) for first, last in periods)
        if periods:
            marks[r.id] = periods[-1][1]
        # Nothing opened yet counts as covered up to the day before the start (so a holder
        # who left before starting is done with at once).
        covered = periods[-1][1] if periods else (r.subsidy_through or r.start_date - timedelta(days=1))
        if r.state != K.ACTIVE and covered is not None and covered >= end:
            marks[r.id] = r.end_date  # every month the contract served is open: done with it
    if not plans and not marks:
        return
    committees = _committees(s, {r.village_id for r, _, _ in plans})
    groups = dict(
        s.execute(
            select(Person.id, Person.target_groups).where(Person.id.in_({r.person_id for r, _, _ in plans}))
        ).all()
    )
    cal = timecache.calendar(db, s)
    opened = opening(db, s, "claim", SYSTEM_ACTOR, now)
    workdays: dict[str, tuple[date, ...] | None] = {}
    params_by_year: dict[int, Any] = {}
    drafted: dict[str, tuple[dict[str, Any], Any, date, date]] = {}
    for r, first, last in plans:
        year = first.year
        if year not in params_by_year:
            try:
                params_by_year[year] = load_params(s, year)
            except DomainError:
                params_by_year[year] = None
                _once(
                    s,
                    report,
                    f"missing_policy_year:{year}",
                    now,
                    Notice(
                        "sweep_problem",
                        f"{year}年度政策参数尚未设置，岗位补贴申请暂未生成",
                        f"请先设置{year}年度政策参数；设置后系统将自动补开{year}年各月的公益性岗位补贴申请。",
                    ),
                    Role.ADMIN,
                )
        params = params_by_year[year]
        if params is None:
            marks.pop(r.id, None)  # try again once the year's parameters exist
            continue
        committee = committees[r.village_id]
        month = month_key(first)
        inp = ClaimInput(SubsidyType.PUBLIC_WELFARE_POST, r.person_id, year, {"month": month}, r.id)
        if month not in workdays:
            workdays[month] = month_workdays(cal, inp.subsidy_type, month)
        draft = ClaimDraft(
            subsidy_type=inp.subsidy_type,
            policy_year=year,
            person=PersonFacts(r.person_id, frozenset(g for g in groups[r.person_id].split(",") if g)),
            claimant=ClaimantFacts(
                committee.id, committee.kind, committee.recognised, committee.first_business
            ),
            facts=ClaimFacts(month=month),
            contract=contract_facts(r),
            month_workdays=workdays[month],
        )
        try:
            # The plan's rule gives the most the month can pay (until the village confirms the
            # days) and the key that makes the claim one of a kind.
            outcome = evaluate(draft, params, (), today)
        except DomainError as exc:
            if exc.code == "rule.no_working_day_in_month":
                continue  # nothing to pay for that part-month, now or later: the mark stands
            log.warning("岗位补贴申请未生成（协议 %s，%s）：%s", r.id, month_key(first), exc)
            marks.pop(r.id, None)
            continue
        values = claim_values(
            inp,
            draft,
            outcome,
            claimant_id=committee.id,
            village_id=r.village_id,
            opened=opened,
            params_version_id=version_in_force(s, year),
        )
        drafted[outcome.dedupe_key] = ({**values, "version": 1, "overdue": False}, r, first, last)
    # A month someone already claimed (by hand, or a run that stopped) is not opened again.
    live = set(s.scalars(select(Claim.dedupe_key).where(Claim.dedupe_key.in_(list(drafted)))))
    report.add("post_claims_existing", len(live))
    fresh = {key: plan for key, plan in drafted.items() if key not in live}
    if fresh:
        # Core statements, and no RETURNING (SQLite would insert row by row to keep the order).
        conn = s.connection()
        conn.execute(insert(Claim.__table__), [values for values, _, _, _ in fresh.values()])
        # The submission rows are written by the database from the claims just inserted, one
        # statement per period (most of a chunk's claims cover the same whole month).
        by_period: dict[tuple[date, date], list[str]] = defaultdict(list)
        for key, (_, _, first, last) in fresh.items():
            by_period[(first, last)].append(key)
        for (first, last), keys in by_period.items():
            comment = f"系统按月生成：{first:%Y年%m月}{first.day}日至{last.day}日在岗补贴，待村级核实出勤"
            opened = opening(db, s, "claim", SYSTEM_ACTOR, now, comment)
            conn.execute(opened.history_from(select(Claim.id).where(Claim.dedupe_key.in_(keys))))
        report.add("post_claims_opened", len(fresh))
        keep_tally(conn, "post_claims", count_by([r for _, r, _, _ in fresh.values()], "village_id"))
    # Most contracts of a chunk reach the same day (the end of last month): one UPDATE a day.
    by_day: dict[date, list[int]] = defaultdict(list)
    for cid, through in marks.items():
        by_day[through].append(cid)
    for through, cids in by_day.items():
        s.connection().execute(
            update(Contract.__table__)
            .where(Contract.__table__.c.id.in_(cids))
            .values(subsidy_through=through)
        )


def _committees(s: Session, village_ids: set[int]) -> dict[int, Organisation]:
    """Each village's committee (村民委员会), the employer that files its post subsidies; made
    from the village's name where none is registered yet."""
    found: dict[int, Organisation] = {}
    for o in s.scalars(
        select(Organisation)
        .where(Organisation.kind == "village_committee", Organisation.village_id.in_(list(village_ids)))
        .order_by(Organisation.id)
    ):
        if o.village_id is not None:  # always, by the query; the column itself is nullable
            found[o.village_id] = o
    for vid in village_ids - set(found):
        village = s.get_one(Village, vid)
        org = Organisation(
            name=f"{village.township.name}{village.name}村民委员会",
            kind="village_committee",
            village_id=vid,
            recognised=True,
        )
        s.add(org)
        s.flush()
        found[vid] = org
    return found


def _once(s: Session, report: SweepReport, key: str, now: datetime, notice: Notice, role: Role) -> None:
    """A notice about a problem, sent the first time only."""
    if s.get(SweepEvent, key) is not None:
        return
    s.add(SweepEvent(key=key, at=now, note=notice.title[:200]))
    report.add("notices", notify(s, now, users_with_role(s, role), notice))
