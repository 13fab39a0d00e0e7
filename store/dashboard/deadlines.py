"""The deadline figures: claims and contracts whose step is overdue, and active contracts that
end soon (with the state of their renewal). Each is one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from workflow.states import ContractState, renewal_label

from ..models import Claim, Contract, Person, Post, Village
from .scope import Scope

K = ContractState
ENDING_WITHIN_DAYS = 30


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

    @property
    def renewal(self) -> str:
        """续签待审 while the successor is only proposed, 已续签 once it took effect, …"""
        return renewal_label(self.successor_state if self.successor_id else None)


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
