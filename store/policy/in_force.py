"""The policy years in force as one unit of work reads them: every year's parameters and the
version they are a copy of, read with one query the first time a transaction asks and kept for
the rest of it, so a claim's year, its figures and the version stored with it agree and cost
one round trip (a handful of rows: one per year)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session, SessionTransaction

from workflow.rules import PolicyParams

from ..models import PolicyYear

_KEY = "fuzhi.policy_years"
_YEARS = select(PolicyYear.year, PolicyYear.params, PolicyYear.current_version_id)  # built once


@dataclass(frozen=True)
class InForce:
    params: PolicyParams
    version_id: int | None


def in_force(session: Session | Connection) -> dict[int, InForce]:
    """Every policy year in force, read once per transaction of a session (a bare
    connection's ``info`` outlives it in the pool, so that one reads each time)."""
    known: dict[int, InForce] | None = session.info.get(_KEY) if isinstance(session, Session) else None
    if known is None:
        rows = session.execute(_YEARS)
        known = {year: InForce(PolicyParams.from_record(params), version) for year, params, version in rows}
        if isinstance(session, Session):
            session.info[_KEY] = known
    return known


def forget_in_force(session: Session) -> None:
    """After writing a year's parameters: the next read in this transaction reads them again."""
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """A session that goes on to another transaction reads the years again."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)
