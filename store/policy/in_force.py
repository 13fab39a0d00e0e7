"""The policy years in force as one unit of work reads them: every year's parameters and the
version they are a copy of, read with one query the first time a transaction asks and kept for
the rest of it, so a claim's year, its figures and the version stored with it agree and cost
one round trip (a handful of rows: one per year)."""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, String, cast, event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from workflow.rules import PolicyParams

from ..models import PolicyYear

_KEY = "fuzhi.policy_years"
# Built once. The stamps are read each time; the figures only for a version not parsed before.
_STAMPS = select(PolicyYear.year, PolicyYear.current_version_id)
_YEARS = select(PolicyYear.year, PolicyYear.params, PolicyYear.current_version_id)
# A version's figures never change (an edit makes a new version, ``policy.versions``), so what
# was parsed is kept per database by version id: a filing reads two small columns, not the
# figures, and does not parse them again.
_PARSED: WeakKeyDictionary[Engine, dict[int, PolicyParams]] = WeakKeyDictionary()


@dataclass(frozen=True)
class InForce:
    params: PolicyParams
    version_id: int | None


def in_force(session: Session | Connection) -> dict[int, InForce]:
    """Every policy year in force, read once per transaction of a session (a bare
    connection's ``info`` outlives it in the pool, so that one reads each time)."""
    known: dict[int, InForce] | None = session.info.get(_KEY) if isinstance(session, Session) else None
    if known is None:
        # Core on the session's connection: the ORM's statement layer costs more than the read.
        conn = session.connection() if isinstance(session, Session) else session
        parsed = _PARSED.setdefault(conn.engine, {})
        stamps = conn.execute(_STAMPS).all()
        if all(version in parsed for _, version in stamps):
            known = {year: InForce(parsed[v], v) for year, v in stamps if v is not None}
        else:
            rows = conn.execute(_YEARS)
            known = {
                year: InForce(PolicyParams.from_record(params), version) for year, params, version in rows
            }
            parsed.update((f.version_id, f.params) for f in known.values() if f.version_id is not None)
        if isinstance(session, Session):
            session.info[_KEY] = known
    return known


# The same stamps as one text ("2026:4,2027:5"), for a query that reads them beside its own
# rows (the filer's one read): then the years in force cost no round trip of their own.
STAMPS = (
    select(
        func.aggregate_strings(
            cast(PolicyYear.year, String)
            + ":"
            + func.coalesce(cast(PolicyYear.current_version_id, String), "-"),
            ",",
        )
    )
    .scalar_subquery()
    .label("policy_stamps")
)


def prime_in_force(session: Session, stamps: str | None) -> None:
    """The years in force from stamps read by another query of this transaction, if every
    version they name was parsed before (else the first ``in_force`` reads them itself)."""
    if _KEY in session.info or not stamps:
        return
    parsed = _PARSED.get(session.connection().engine, {})
    known = {}
    for stamp in stamps.split(","):
        year, _, version = stamp.partition(":")
        if not version.isdigit() or int(version) not in parsed:
            return
        known[int(year)] = InForce(parsed[int(version)], int(version))
    session.info[_KEY] = known


def forget_in_force(session: Session) -> None:
    """After writing a year's parameters: the next read in this transaction reads them again."""
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """A session that goes on to another transaction reads the years again."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)
