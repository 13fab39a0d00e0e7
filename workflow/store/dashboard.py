"""The dashboard's figures: each one aggregate query, scoped to the villages a user answers for.

Every function here is a single SQL statement that groups and counts in the database; Python
only reshapes the few aggregated rows that come back (never one row per claim or person).
Money is summed in whole fen (integers), so SQLite's floating-point SUM cannot creep in.

What counts as *employed* for the plan's targets (one definition, used everywhere below):
a person has a live employment-related claim (one of ``EMPLOYMENT_TYPES`` that was not
rejected, withdrawn or expired) or an active public-welfare post contract. It is *confirmed*
when the claim is approved (hr_reviewed or finance_paid) or the contract active, and
*pending* while the claim is still being checked (submitted, village_verified, returned).
The labour force is every person with full, weak or half labour capacity.
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

from ..dates import add_months
from ..money import from_fen
from ..roles import Actor, Role
from ..states import CLAIM_DEAD_STATES, ClaimState, ContractState, SubsidyType
from .models import Claim, ClaimHistory, Contract, Person, Post, Township, Village

C, K, T = ClaimState, ContractState, SubsidyType

EMPLOYMENT_TYPES: tuple[str, ...] = tuple(str(t) for t in (
    T.LABOUR_EXPORT_SERVICE, T.TRANSPORT_SUBSIDY, T.MIGRANT_WORK_REWARD,
    T.EMPLOYMENT_BASE_REWARD, T.STARTUP_SUBSIDY, T.WORKSHOP_REWARD, T.WORK_FOR_TRAINING))
LABOUR_CAPACITIES = ("full", "weak", "half")
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
    if actor.roles & {Role.HR, Role.FINANCE, Role.ADMIN}:
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
    q = (select(Claim.subsidy_type, Claim.state, func.count(), _sum_fen(Claim.amount))
         .where(scope.where(Claim.village_id))
         .group_by(Claim.subsidy_type, Claim.state))
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
    q = (select(year, month, _sum_fen(Claim.amount, approved), _count_if(approved),
                _sum_fen(Claim.amount, paid), _count_if(paid))
         .select_from(ClaimHistory).join(Claim, Claim.id == ClaimHistory.claim_id)
         .where(ClaimHistory.trigger.in_(("approve", "pay")), scope.where(Claim.village_id))
         .group_by(year, month).order_by(year, month))
    return [MonthMoney(from_fen(int(a)), int(an), from_fen(int(p)), int(pn), f"{y:04d}-{m:02d}")
            for y, m, a, an, p, pn in session.execute(q)]


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
    q = (select(Village.id, Village.name, Township.name,
                _sum_fen(Claim.amount, approved), _count_if(approved),
                _sum_fen(Claim.amount, paid), _count_if(paid))
         .select_from(Village).join(Township, Township.id == Village.township_id)
         .outerjoin(Claim, and_(Claim.village_id == Village.id, approved))
         .where(scope.where(Village.id))
         .group_by(Village.id, Village.name, Township.name, Village.code)
         .order_by(Village.code))
    return [VillageMoney(from_fen(int(a)), int(an), from_fen(int(p)), int(pn), vid, name, town)
            for vid, name, town, a, an, p, pn in session.execute(q)]


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
        return (select(literal(kind, String).label("kind"), model.village_id, model.state,
                       func.count().label("n"))
                .where(model.due_at < now, scope.where(model.village_id))
                .group_by(model.village_id, model.state))
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


def contracts_ending(session: Session, scope: Scope, today: date,
                     within: int = ENDING_WITHIN_DAYS) -> list[Ending]:
    """Active contracts whose term ends within ``within`` days, soonest first, with the state
    of their renewal where one was proposed."""
    successor = aliased(Contract)
    q = (select(Contract.id, Person.name, Village.name, Post.title, Contract.start_date,
                Contract.end_date, Contract.monthly_subsidy, successor.id, successor.state)
         .select_from(Contract).join(Person, Person.id == Contract.person_id)
         .join(Village, Village.id == Contract.village_id).join(Post, Post.id == Contract.post_id)
         .outerjoin(successor, successor.id == Contract.successor_id)
         .where(Contract.state == K.ACTIVE, Contract.end_date >= today,
                Contract.end_date <= today + timedelta(days=within),
                scope.where(Contract.village_id))
         .order_by(Contract.end_date, Contract.id))
    return [Ending(cid, person, village, post, start, end, (end - today).days, subsidy, sid, sstate)
            for cid, person, village, post, start, end, subsidy, sid, sstate in session.execute(q)]


# --------------------------------------------------------------------------------------
# The plan's targets
# --------------------------------------------------------------------------------------

def _claim_exists(types: Iterable[str], states: Iterable[str]) -> Any:
    return exists().where(Claim.person_id == Person.id, Claim.subsidy_type.in_(tuple(types)),
                          Claim.state.in_(tuple(states)))


def _active_post() -> Any:
    return exists().where(Contract.person_id == Person.id, Contract.state == K.ACTIVE)


def employed_confirmed() -> ColumnElement[bool]:
    """An approved employment-related claim, or an active post contract."""
    return or_(_claim_exists(EMPLOYMENT_TYPES, APPROVED_STATES), _active_post())


def employed_any() -> ColumnElement[bool]:
    """A live (not rejected, withdrawn or expired) employment-related claim, or an active post."""
    return or_(_claim_exists(EMPLOYMENT_TYPES, LIVE_STATES), _active_post())


def in_labour_force() -> ColumnElement[bool]:
    return Person.labour_capacity.in_(LABOUR_CAPACITIES)


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


def labour_force(session: Session, scope: Scope) -> list[LabourRow]:
    """The labour force per village and labour capacity: how many are employed (confirmed,
    pending) and how many had a live training_allowance claim (应培尽培)."""
    flags = (select(Person.village_id.label("village_id"),
                    Person.labour_capacity.label("capacity"),
                    case((employed_confirmed(), 1), else_=0).label("confirmed"),
                    case((employed_any(), 1), else_=0).label("employed"),
                    case((_claim_exists((T.TRAINING_ALLOWANCE,), LIVE_STATES), 1),
                         else_=0).label("trained"))
             .where(in_labour_force(), scope.where(Person.village_id))
             .subquery())
    q = (select(flags.c.village_id, flags.c.capacity, func.count(), func.sum(flags.c.confirmed),
                func.sum(flags.c.employed - flags.c.confirmed), func.sum(flags.c.trained))
         .group_by(flags.c.village_id, flags.c.capacity))
    return [LabourRow(v, cap, n, int(c), int(p), int(t))
            for v, cap, n, c, p, t in session.execute(q)]


@dataclass(frozen=True)
class Household:
    household_no: str
    village_id: int
    village: str
    members: int
    labour: int
    employed: int
    names: str

    @property
    def needs_work(self) -> bool:
        """Has labour, but nobody employed: the plan wants at least one (至少一人就业)."""
        return self.labour > 0 and self.employed == 0


def relocated_households(session: Session, scope: Scope) -> list[Household]:
    """Relocated persons (易地搬迁人口) grouped by household number (a person without one is a
    household of their own): members, labour force, employed members."""
    key = func.coalesce(Person.household_no, literal("#") + cast(Person.id, String))
    members = (select(key.label("household"), Person.village_id.label("village_id"),
                      Person.name.label("name"),
                      case((in_labour_force(), 1), else_=0).label("labour"),
                      case((and_(in_labour_force(), employed_any()), 1), else_=0).label("employed"))
               .where(has_group(RELOCATED), scope.where(Person.village_id))
               .subquery())
    grouped = (select(members.c.household, func.min(members.c.village_id).label("village_id"),
                      func.count().label("members"), func.sum(members.c.labour).label("labour"),
                      func.sum(members.c.employed).label("employed"),
                      func.aggregate_strings(members.c.name, "、").label("names"))
               .group_by(members.c.household).subquery())
    q = (select(grouped.c.household, grouped.c.village_id, Village.name, grouped.c.members,
                grouped.c.labour, grouped.c.employed, grouped.c.names)
         .join(Village, Village.id == grouped.c.village_id).order_by(grouped.c.household))
    return [Household(h, v, village, n, int(lab), int(emp), who or "")
            for h, v, village, n, lab, emp, who in session.execute(q)]


@dataclass(frozen=True)
class VillagePosts:
    village_id: int
    village: str
    township: str
    graduate_posts: int
    graduate_filled: int  # graduate posts with an active contract


def graduate_posts(session: Session, scope: Scope) -> list[VillagePosts]:
    """Every village of the scope with its 大学生公岗 (Post.graduate_post), set up and filled."""
    posts = (select(func.count()).select_from(Post)
             .where(Post.village_id == Village.id, Post.graduate_post.is_(True))
             .correlate(Village).scalar_subquery())
    filled = (select(func.count(func.distinct(Contract.post_id))).select_from(Contract)
              .join(Post, Post.id == Contract.post_id)
              .where(Post.village_id == Village.id, Post.graduate_post.is_(True),
                     Contract.state == K.ACTIVE)
              .correlate(Village).scalar_subquery())
    q = (select(Village.id, Village.name, Township.name, posts, filled)
         .join(Township, Township.id == Village.township_id)
         .where(scope.where(Village.id)).order_by(Village.code))
    return [VillagePosts(*row) for row in session.execute(q)]


@dataclass(frozen=True)
class Graduates:
    total: int = 0
    employed: int = 0
    unemployed: int = 0
    unemployed_long: int = 0  # out of school GRADUATE_WAIT_MONTHS or more, still unemployed


def graduates(session: Session, scope: Scope, today: date) -> Graduates:
    """Persons who left a university (graduate_left_school), employed or not."""
    cutoff = add_months(today, -GRADUATE_WAIT_MONTHS)
    employed = employed_any()
    q = (select(func.count(), _count_if(employed), _count_if(~employed),
                _count_if(and_(~employed, Person.graduate_left_school <= cutoff)))
         .where(Person.graduate_left_school.is_not(None), scope.where(Person.village_id)))
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
    def needy_households(self) -> list[Household]:
        return [h for h in self.households if h.needs_work]

    @property
    def households_with_labour(self) -> int:
        return sum(1 for h in self.households if h.labour > 0)

    @property
    def without_graduate_post(self) -> list[VillagePosts]:
        return [v for v in self.villages if v.graduate_posts == 0]


def dashboard(session: Session, scope: Scope, now: datetime) -> Dashboard:
    today = now.date()
    return Dashboard(
        scope=scope, now=now, villages=graduate_posts(session, scope),
        by_type_state=claims_by_type_and_state(session, scope),
        months=month_range(money_by_month(session, scope), today),
        by_village=money_by_village(session, scope), overdue=overdue_steps(session, scope, now),
        ending=contracts_ending(session, scope, today), labour=labour_force(session, scope),
        households=relocated_households(session, scope), graduates=graduates(session, scope, today))
