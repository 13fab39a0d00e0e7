"""What every figure of the dashboard shares: the scope (the villages a user answers for), the
claim states counted as approved, paid or live, and the SQL that sums money in whole fen.

Money is summed in whole fen (integers), so SQLite's floating-point SUM cannot creep in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, case, cast, func, true

from workflow.roles import Actor, Role, is_county_wide
from workflow.states import CLAIM_DEAD_STATES, ClaimState

C = ClaimState

APPROVED_STATES: tuple[str, ...] = (str(C.HR_REVIEWED), str(C.FINANCE_PAID))
PAID_STATE = str(C.FINANCE_PAID)
LIVE_STATES: tuple[str, ...] = tuple(str(s) for s in ClaimState if s not in CLAIM_DEAD_STATES)
PENDING_STATES: tuple[str, ...] = tuple(s for s in LIVE_STATES if s not in APPROVED_STATES)


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


def sum_fen(amount: Any, when: ColumnElement[bool] | None = None) -> Any:
    value = _fen(amount) if when is None else case((when, _fen(amount)), else_=0)
    return func.coalesce(func.sum(value), 0)


def count_if(when: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((when, 1), else_=0)), 0)
