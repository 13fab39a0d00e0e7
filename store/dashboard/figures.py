"""The dashboard's figures: each one aggregate query, scoped to the villages a user answers for.

Every function here is a single SQL statement that groups and counts in the database; Python
only reshapes the few aggregated rows that come back (never one row per claim or person).
Money is summed in whole fen (integers), so SQLite's floating-point SUM cannot creep in.

Who is *labour force* (one definition, ``workflow.labour``): some labour capacity (全劳力,
弱劳力 or 半劳力; never 无劳动力) and of working age on the day (the admin's range, from the
birth date of the ID number), or marked as labour force anyway (``labour_force_override``).

Who is *employed*, and when: each fact covers months, not forever (``employment_spans``).
An approved claim (hr_reviewed or finance_paid) of an employment type covers the months its
rule needed from the employment start; a post contract that took effect (active, expired,
terminated) covers its months from start to end (or termination). A live claim not yet
approved covers its months as *pending*. "Employed now" means employed in the current month
(by confirmed facts); the trend counts each of the last 12 months the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from workflow.dates import add_months
from workflow.labour import (
    CLAIM_MONTHS,
    EMPLOYMENT_TYPES,
    WorkingAge,
    birth_window,
    month_index,
    month_of_index,
)
from workflow.money import from_fen
from workflow.roles import Actor, Role, is_county_wide
from workflow.states import CLAIM_DEAD_STATES, ClaimState, ContractState, SubsidyType

from ..models import Claim, ClaimHistory, Contract, Person, Post, Township, Village
from ..people.labour import Baseline, baselines, working_age

C, K, T = ClaimState, ContractState, SubsidyType

LABOUR_CAPACITIES = ("full", "weak", "half")  # 无劳动力 is never labour force
# A contract that took effect: it covers its months even after it expired or was terminated.
EMPLOYED_CONTRACT_STATES: tuple[str, ...] = (str(K.ACTIVE), str(K.EXPIRED), str(K.TERMINATED))
TREND_MONTHS = 12
APPROVED_STATES: tuple[str, ...] = (str(C.HR_REVIEWED), str(C.FINANCE_PAID))
PAID_STATE = str(C.FINANCE_PAID)
LIVE_STATES: tuple[str, ...] = tuple(str(s) for s in ClaimState if s not in CLAIM_DEAD_STATES)
PENDING_STATES: tuple[str, ...] = tuple(s for s in LIVE_STATES if s not in APPROVED_STATES)
RELOCATED = "relocated"
GRADUATE_WAIT_MONTHS = 6  # the 大学生公岗 goes first to graduates out of school this long
ENDING_WITHIN_DAYS = 30


# --------------------------------------------------------------------------------------
# Scope
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The villages a dashboard covers: ``None`` for the whole county."""

    village_ids: frozenset[int] | None = None

    @property
    def county(self) -> bool:
        return self.village_ids is None

    def where(self, column: Any) -> ColumnElement[bool]:
        if self.village_ids is None:
            return true()
        condition: ColumnElement[bool] = column.in_(sorted(self.village_ids))
        return condition


def scope_for(actor: Actor) -> Scope:
    """HR, finance and the admin see the county; a village verifier only their villages."""
    if is_county_wide(actor):
        return Scope(None)
    return Scope(frozenset(actor.village_ids) if Role.VILLAGE in actor.roles else frozenset())


def _fen(amount: Any) -> Any:
    """An amount in whole fen, so that sums are exact integers on every database."""
    return cast(func.round(amount * 100), BigInteger)


def _sum_fen(amount: Any, when: ColumnElement[bool] | None = None) -> Any:
    value = _fen(amount) if when is None else case((when, _fen(amount)), else_=0)
    return func.coalesce(func.sum(value), 0)


def _count_if(when: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((when, 1), else_=0)), 0)


# --------------------------------------------------------------------------------------
# Claims by state and subsidy type
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeState:
    subsidy_type: str
    state: str
    claims: int
    amount: Decimal


def claims_by_type_and_state(session: Session, scope: Scope) -> list[TypeState]:
    q = (
        select(Claim.subsidy_type, Claim.state, func.count(), _sum_fen(Claim.amount))
        .where(scope.where(Claim.village_id))
        .group_by(Claim.subsidy_type, Claim.state)
    )
    return [TypeState(t, s, n, from_fen(int(fen))) for t, s, n, fen in session.execute(q)]


# --------------------------------------------------------------------------------------
# Money approved and paid, by month (of the approve / pay step) and by village
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    approved: Decimal = Decimal("0.00")
    approved_claims: int = 0
    paid: Decimal = Decimal("0.00")
    paid_claims: int = 0


@dataclass(frozen=True)
class MonthMoney(Money):
    month: str = ""  # "2026-08"


def money_by_month(session: Session, scope: Scope) -> list[MonthMoney]:
    """Approved money (claims now hr_reviewed or finance_paid) in the month HR approved them,
    paid money (finance_paid) in the month finance confirmed the payment; only months that
    have any, oldest first."""
    year = cast(extract("year", ClaimHistory.at), Integer).label("y")
    month = cast(extract("month", ClaimHistory.at), Integer).label("m")
    approved = and_(ClaimHistory.trigger == "approve", Claim.state.in_(APPROVED_STATES))
    paid = and_(ClaimHistory.trigger == "pay", Claim.state == PAID_STATE)
    q = (
        select(
            year,
            month,
            _sum_fen(Claim.amount, approved),
            _count_if(approved),
            _sum_fen(Claim.amount, paid),
            _count_if(paid),
        )
        .select_from(ClaimHistory)
        .join(Claim, Claim.id == ClaimHistory.claim_id)
        .where(ClaimHistory.trigger.in_(("approve", "pay")), scope.where(Claim.village_id))
        .group_by(year, month)
        .order_by(year, month)
    )
    return [
        MonthMoney(from_fen(int(a)), int(an), from_fen(int(p)), int(pn), f"{y:04d}-{m:02d}")
        for y, m, a, an, p, pn in session.execute(q)
    ]


def month_range(rows: Iterable[MonthMoney], until: date, at_most: int = 12) -> list[MonthMoney]:
    """The months from the first with money up to ``until``'s, gaps filled with zeros, at most
    the last ``at_most`` of them."""
    by_month = {r.month: r for r in rows}
    last = date(until.year, until.month, 1)
    first = min((date(int(k[:4]), int(k[5:]), 1) for k in by_month), default=last)
    first = max(min(first, last), add_months(last, -(at_most - 1)))
    months: list[MonthMoney] = []
    day = first
    while day <= last:
        key = f"{day.year:04d}-{day.month:02d}"
        months.append(by_month.get(key, MonthMoney(month=key)))
        day = add_months(day, 1)
    return months


@dataclass(frozen=True)
class VillageMoney(Money):
    village_id: int = 0
    village: str = ""
    township: str = ""


def money_by_village(session: Session, scope: Scope) -> list[VillageMoney]:
    """Approved and paid money per village, every village of the scope (zeros included)."""
    approved = Claim.state.in_(APPROVED_STATES)
    paid = Claim.state == PAID_STATE
    q = (
        select(
            Village.id,
            Village.name,
            Township.name,
            _sum_fen(Claim.amount, approved),
            _count_if(approved),
            _sum_fen(Claim.amount, paid),
            _count_if(paid),
        )
        .select_from(Village)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(Claim, and_(Claim.village_id == Village.id, approved))
        .where(scope.where(Village.id))
        .group_by(Village.id, Village.name, Township.name, Village.code)
        .order_by(Village.code)
    )
    return [
        VillageMoney(from_fen(int(a)), int(an), from_fen(int(p)), int(pn), vid, name, town)
        for vid, name, town, a, an, p, pn in session.execute(q)
    ]


# --------------------------------------------------------------------------------------
# Overdue steps and contracts ending soon
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    kind: str  # "claim" or "contract"
    village_id: int
    state: str
    count: int


def overdue_steps(session: Session, scope: Scope, now: datetime) -> list[Overdue]:
    """Claims and contracts whose step is past its deadline (``due_at`` before now)."""

    def part(model: type[Claim] | type[Contract], kind: str) -> Any:
        return (
            select(
                literal(kind, String).label("kind"), model.village_id, model.state, func.count().label("n")
            )
            .where(model.due_at < now, scope.where(model.village_id))
            .group_by(model.village_id, model.state)
        )

    q = union_all(part(Claim, "claim"), part(Contract, "contract"))
    return [Overdue(kind, vid, state, n) for kind, vid, state, n in session.execute(q)]


@dataclass(frozen=True)
class Ending:
    contract_id: int
    person: str
    village: str
    post: str
    start_date: date
    end_date: date
    days_left: int
    monthly_subsidy: Decimal
    successor_id: int | None
    successor_state: str | None


def contracts_ending(
    session: Session, scope: Scope, today: date, within: int = ENDING_WITHIN_DAYS
) -> list[Ending]:
    """Active contracts whose term ends within ``within`` days, soonest first, with the state
    of their renewal where one was proposed."""
    successor = aliased(Contract)
    q = (
        select(
            Contract.id,
            Person.name,
            Village.name,
            Post.title,
            Contract.start_date,
            Contract.end_date,
            Contract.monthly_subsidy,
            successor.id,
            successor.state,
        )
        .select_from(Contract)
        .join(Person, Person.id == Contract.person_id)
        .join(Village, Village.id == Contract.village_id)
        .join(Post, Post.id == Contract.post_id)
        .outerjoin(successor, successor.id == Contract.successor_id)
        .where(
            Contract.state == K.ACTIVE,
            Contract.end_date >= today,
            Contract.end_date <= today + timedelta(days=within),
            scope.where(Contract.village_id),
        )
        .order_by(Contract.end_date, Contract.id)
    )
    return [
        Ending(cid, person, village, post, start, end, (end - today).days, subsidy, sid, sstate)
        for cid, person, village, post, start, end, subsidy, sid, sstate in session.execute(q)
    ]


# --------------------------------------------------------------------------------------
# The plan's targets: who is labour force, who is employed in which month
# --------------------------------------------------------------------------------------


def _claim_exists(types: Iterable[str], states: Iterable[str]) -> Any:
    return exists().where(
        Claim.person_id == Person.id, Claim.subsidy_type.in_(tuple(types)), Claim.state.in_(tuple(states))
    )


def _month_of(year: Any, month: Any) -> Any:
    """``workflow.labour.month_index`` in SQL."""
    return year * 12 + month - 1


def _month_of_date(column: Any) -> Any:
    return _month_of(cast(extract("year", column), Integer), cast(extract("month", column), Integer))


def employment_spans() -> Any:
    """One row per fact that shows a person employed: ``person_id``, the ``first`` and ``last``
    month it covers (``month_index``), and whether it is ``confirmed`` (1: an approved claim or
    a contract that took effect) or still being checked (0: a live claim not yet approved).
    The months are ``workflow.labour``'s: ``claim_span``, ``training_span_before``,
    ``contract_span``."""
    start = Claim.facts["employment_start"].as_string()
    start_month = _month_of(cast(func.substr(start, 1, 4), Integer), cast(func.substr(start, 6, 2), Integer))
    training = Claim.facts["training_months"].as_integer()
    months = case(*[(Claim.subsidy_type == t, n) for t, n in CLAIM_MONTHS.items() if n], else_=training)
    confirmed = case((Claim.state.in_(APPROVED_STATES), 1), else_=0)
    live = and_(Claim.subsidy_type.in_(EMPLOYMENT_TYPES), Claim.state.in_(LIVE_STATES))
    from_start = select(
        Claim.person_id.label("person_id"),
        start_month.label("first"),
        (start_month + months - case((func.substr(start, 9, 2) == "01", 1), else_=0)).label("last"),
        confirmed.label("confirmed"),
    ).where(live, start.is_not(None))
    filed = _month_of_date(Claim.created_at)
    before_filing = select(Claim.person_id, filed - training, filed - 1, confirmed).where(
        live, start.is_(None), Claim.subsidy_type == T.WORK_FOR_TRAINING, training.is_not(None)
    )
    # A terminated contract ends with its last day on the post (有序退岗), not at its printed
    # end date.
    last_day = case(
        (Contract.state == K.TERMINATED, _month_of_date(Contract.terminated_on)),
        else_=_month_of_date(Contract.end_date),
    )
    contracts = select(
        Contract.person_id, _month_of_date(Contract.start_date), last_day, literal(1, Integer)
    ).where(Contract.state.in_(EMPLOYED_CONTRACT_STATES))
    return union_all(from_start, before_filing, contracts).subquery("spans")


def employed_in(month: int) -> Any:
    """Per person employed in ``month``: ``person_id`` and ``confirmed`` (1 when any of the
    person's facts for that month is confirmed, else 0: only pending claims)."""
    spans = employment_spans()
    return (
        select(spans.c.person_id, func.max(spans.c.confirmed).label("confirmed"))
        .where(spans.c.first <= month, spans.c.last >= month)
        .group_by(spans.c.person_id)
        .subquery("employed")
    )


def in_labour_force(ages: WorkingAge, day: date) -> ColumnElement[bool]:
    """``workflow.labour.in_labour_force`` in SQL, on ``day``."""
    born_after, born_by = birth_window(day, ages)
    return _labour_force_between(born_after, born_by)


def _labour_force_between(born_after: Any, born_by: Any) -> ColumnElement[bool]:
    return and_(
        Person.labour_capacity.in_(LABOUR_CAPACITIES),
        or_(
            Person.labour_force_override.is_(True),
            and_(Person.birth_date > born_after, Person.birth_date <= born_by),
        ),
    )


def has_group(group: str) -> ColumnElement[bool]:
    """``target_groups`` is a comma-separated list of codes."""
    return (literal(",") + Person.target_groups + literal(",")).like(f"%,{group},%")


@dataclass(frozen=True)
class LabourRow:
    village_id: int
    capacity: str
    labour: int
    confirmed: int
    pending: int
    trained: int


def labour_force(session: Session, scope: Scope, ages: WorkingAge, today: date) -> list[LabourRow]:
    """The labour force today per village and labour capacity: how many are employed this
    month (confirmed, pending) and how many had a live training_allowance claim (应培尽培)."""
    employed = employed_in(month_index(today))
    flags = (
        select(
            Person.village_id.label("village_id"),
            Person.labour_capacity.label("capacity"),
            case((employed.c.confirmed == 1, 1), else_=0).label("confirmed"),
            case((employed.c.person_id.is_not(None), 1), else_=0).label("employed"),
            case((_claim_exists((T.TRAINING_ALLOWANCE,), LIVE_STATES), 1), else_=0).label("trained"),
        )
        .outerjoin(employed, employed.c.person_id == Person.id)
        .where(in_labour_force(ages, today), scope.where(Person.village_id))
        .subquery()
    )
    q = select(
        flags.c.village_id,
        flags.c.capacity,
        func.count(),
        func.sum(flags.c.confirmed),
        func.sum(flags.c.employed - flags.c.confirmed),
        func.sum(flags.c.trained),
    ).group_by(flags.c.village_id, flags.c.capacity)
    return [LabourRow(v, cap, n, int(c), int(p), int(t)) for v, cap, n, c, p, t in session.execute(q)]


@dataclass(frozen=True)
class MonthEmployment:
    month: str  # "2026-08"
    labour: int  # the labour force on the month's last day (today, for this month)
    employed: int  # of them, employed in the month (confirmed facts only)


def employment_by_month(
    session: Session, scope: Scope, ages: WorkingAge, today: date, months: int = TREND_MONTHS
) -> list[MonthEmployment]:
    """The last ``months`` months up to today's, oldest first: the labour force and how many of
    it were employed in each month, one query (the months are a small literal table)."""
    this = month_index(today)
    rows = []
    for index in range(this - months + 1, this + 1):
        year, month = divmod(index, 12)
        last = min(today, add_months(date(year, month + 1, 1), 1) - timedelta(days=1))
        born_after, born_by = birth_window(last, ages)
        rows.append(
            select(
                literal(index, Integer).label("m"),
                literal(born_after, Date).label("born_after"),
                literal(born_by, Date).label("born_by"),
            )
        )
    table = union_all(*rows).subquery("months")
    spans = employment_spans()
    employed = (
        select(spans.c.person_id, table.c.m)
        .distinct()
        .select_from(spans)
        .join(table, and_(spans.c.first <= table.c.m, spans.c.last >= table.c.m))
        .where(spans.c.confirmed == 1)
        .subquery("employed")
    )
    labour = _labour_force_between(table.c.born_after, table.c.born_by)
    q = (
        select(table.c.m, _count_if(labour), _count_if(and_(labour, employed.c.person_id.is_not(None))))
        .select_from(table)
        .join(Person, true())
        .outerjoin(employed, and_(employed.c.person_id == Person.id, employed.c.m == table.c.m))
        .where(scope.where(Person.village_id))
        .group_by(table.c.m)
    )
    found = {m: (int(n), int(e)) for m, n, e in session.execute(q)}
    return [
        MonthEmployment(month_of_index(m), *found.get(m, (0, 0))) for m in range(this - months + 1, this + 1)
    ]


@dataclass(frozen=True)
class Household:
    household_no: str
    village_id: int
    village: str
    members: int
    labour: int
    employed: int
    names: str  # every member
    labour_names: str = ""  # the labour-force members, each with their masked ID number

    @property
    def needs_work(self) -> bool:
        """Has labour, but nobody employed: the plan wants at least one (至少一人就业)."""
        return self.labour > 0 and self.employed == 0


def relocated_households(session: Session, scope: Scope, ages: WorkingAge, today: date) -> list[Household]:
    """Relocated persons (易地搬迁人口) grouped by household number (a person without one is a
    household of their own): members, labour force today, members employed this month
    (confirmed)."""
    key = func.coalesce(Person.household_no, literal("#") + cast(Person.id, String))
    employed = employed_in(month_index(today))
    labour = in_labour_force(ages, today)
    # Masked as everywhere (identity.mask): the last four characters only.
    masked = Person.name + literal("（") + literal("*" * 14) + Person.id_last4 + literal("）")
    members = (
        select(
            key.label("household"),
            Person.village_id.label("village_id"),
            Person.name.label("name"),
            case((labour, masked), else_=None).label("labour_name"),
            case((labour, 1), else_=0).label("labour"),
            case((and_(labour, employed.c.confirmed == 1), 1), else_=0).label("employed"),
        )
        .outerjoin(employed, employed.c.person_id == Person.id)
        .where(has_group(RELOCATED), scope.where(Person.village_id))
        .subquery()
    )
    grouped = (
        select(
            members.c.household,
            func.min(members.c.village_id).label("village_id"),
            func.count().label("members"),
            func.sum(members.c.labour).label("labour"),
            func.sum(members.c.employed).label("employed"),
            func.aggregate_strings(members.c.name, "、").label("names"),
            func.aggregate_strings(members.c.labour_name, "、").label("labour_names"),
        )
        .group_by(members.c.household)
        .subquery()
    )
    q = (
        select(
            grouped.c.household,
            grouped.c.village_id,
            Village.name,
            grouped.c.members,
            grouped.c.labour,
            grouped.c.employed,
            grouped.c.names,
            grouped.c.labour_names,
        )
        .join(Village, Village.id == grouped.c.village_id)
        .order_by(grouped.c.household)
    )
    return [
        Household(h, v, village, n, int(lab), int(emp), who or "", lab_who or "")
        for h, v, village, n, lab, emp, who, lab_who in session.execute(q)
    ]


@dataclass(frozen=True)
class VillagePosts:
    village_id: int
    village: str
    township: str
    graduate_posts: int
    graduate_filled: int  # graduate posts with an active contract


def graduate_posts(session: Session, scope: Scope) -> list[VillagePosts]:
    """Every village of the scope with its 大学生公岗 (Post.graduate_post), set up and filled."""
    posts = (
        select(func.count())
        .select_from(Post)
        .where(Post.village_id == Village.id, Post.graduate_post.is_(True))
        .correlate(Village)
        .scalar_subquery()
    )
    filled = (
        select(func.count(func.distinct(Contract.post_id)))
        .select_from(Contract)
        .join(Post, Post.id == Contract.post_id)
        .where(Post.village_id == Village.id, Post.graduate_post.is_(True), Contract.state == K.ACTIVE)
        .correlate(Village)
        .scalar_subquery()
    )
    q = (
        select(Village.id, Village.name, Township.name, posts, filled)
        .join(Township, Township.id == Village.township_id)
        .where(scope.where(Village.id))
        .order_by(Village.code)
    )
    return [VillagePosts(*row) for row in session.execute(q)]


@dataclass(frozen=True)
class Graduates:
    total: int = 0
    employed: int = 0
    unemployed: int = 0
    unemployed_long: int = 0  # out of school GRADUATE_WAIT_MONTHS or more, still unemployed


def graduates(session: Session, scope: Scope, today: date) -> Graduates:
    """Persons who left a university (graduate_left_school), employed this month or not."""
    cutoff = add_months(today, -GRADUATE_WAIT_MONTHS)
    employed_now = employed_in(month_index(today))
    employed = employed_now.c.confirmed == 1
    idle = or_(employed_now.c.confirmed.is_(None), employed_now.c.confirmed == 0)
    q = (
        select(
            func.count(),
            _count_if(employed),
            _count_if(idle),
            _count_if(and_(idle, Person.graduate_left_school <= cutoff)),
        )
        .outerjoin(employed_now, employed_now.c.person_id == Person.id)
        .where(Person.graduate_left_school.is_not(None), scope.where(Person.village_id))
    )
    total, emp, unemp, long = session.execute(q).one()
    return Graduates(int(total), int(emp), int(unemp), int(long))


# --------------------------------------------------------------------------------------
# Everything the page shows
# --------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    now: datetime
    villages: list[VillagePosts]
    by_type_state: list[TypeState]
    months: list[MonthMoney]
    by_village: list[VillageMoney]
    overdue: list[Overdue]
    ending: list[Ending]
    labour: list[LabourRow]
    households: list[Household]
    graduates: Graduates
    ages: WorkingAge
    baselines: dict[int, Baseline]  # the plan's baseline by year, as the admin set them
    trend: list[MonthEmployment]
    registered: int  # people registered in the scope (set against the baseline's people)
    by_state: dict[str, int] = field(init=False)
    by_type: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_state, self.by_type = {}, {}
        for r in self.by_type_state:
            self.by_state[r.state] = self.by_state.get(r.state, 0) + r.claims
            self.by_type[r.subsidy_type] = self.by_type.get(r.subsidy_type, 0) + r.claims

    @property
    def claims(self) -> int:
        return sum(self.by_state.values())

    @property
    def approved(self) -> Decimal:
        return sum((r.approved for r in self.by_village), Decimal("0.00"))

    @property
    def paid(self) -> Decimal:
        return sum((r.paid for r in self.by_village), Decimal("0.00"))

    def labour_total(self, what: str) -> int:
        return sum(getattr(r, what) for r in self.labour)

    @property
    def baseline(self) -> Baseline | None:
        """This year's plan baseline, if the admin set one."""
        return self.baselines.get(self.now.year)

    @property
    def needy_households(self) -> list[Household]:
        return [h for h in self.households if h.needs_work]

    @property
    def households_with_labour(self) -> int:
        return sum(1 for h in self.households if h.labour > 0)

    @property
    def without_graduate_post(self) -> list[VillagePosts]:
        return [v for v in self.villages if v.graduate_posts == 0]


def registered_people(session: Session, scope: Scope) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Person).where(scope.where(Person.village_id))) or 0
    )


def dashboard(session: Session, scope: Scope, now: datetime) -> Dashboard:
    today = now.date()
    ages = working_age(session)
    return Dashboard(
        scope=scope,
        now=now,
        villages=graduate_posts(session, scope),
        by_type_state=claims_by_type_and_state(session, scope),
        months=month_range(money_by_month(session, scope), today),
        by_village=money_by_village(session, scope),
        overdue=overdue_steps(session, scope, now),
        ending=contracts_ending(session, scope, today),
        labour=labour_force(session, scope, ages, today),
        households=relocated_households(session, scope, ages, today),
        graduates=graduates(session, scope, today),
        ages=ages,
        baselines={b.year: b for b in baselines(session)},
        trend=employment_by_month(session, scope, ages, today),
        registered=registered_people(session, scope),
    )
