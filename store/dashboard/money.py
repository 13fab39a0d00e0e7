"""The claims and money figures: claims by subsidy type and state, money approved and paid by
month (of the approve / pay step) and by village. Each is one aggregate query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, and_, cast, extract, func, select
from sqlalchemy.orm import Session

from workflow.dates import add_months
from workflow.money import from_fen

from ..models import Claim, ClaimHistory, Township, Village
from .scope import APPROVED_STATES, PAID_STATE, Scope, count_if, sum_fen


@dataclass(frozen=True)
class TypeState:
    subsidy_type: str
    state: str
    claims: int
    amount: Decimal


def claims_by_type_and_state(session: Session, scope: Scope) -> list[TypeState]:
    q = (
        select(Claim.subsidy_type, Claim.state, func.count(), sum_fen(Claim.amount))
        .where(scope.where(Claim.village_id))
        .group_by(Claim.subsidy_type, Claim.state)
    )
    return [TypeState(t, s, n, from_fen(int(fen))) for t, s, n, fen in session.execute(q)]


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
            sum_fen(Claim.amount, approved),
            count_if(approved),
            sum_fen(Claim.amount, paid),
            count_if(paid),
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
            sum_fen(Claim.amount, approved),
            count_if(approved),
            sum_fen(Claim.amount, paid),
            count_if(paid),
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
