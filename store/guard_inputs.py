"""What a step's guards read beyond the case's own row, supplied by the store before firing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, distinct, func, select
from sqlalchemy.orm import Session

from workflow.guards import ABSORPTION_TYPES, Absorption
from workflow.rules import PolicyParams, limits
from workflow.states import CLAIM_DEAD_VALUES

from .models import Claim, Person, PolicyYear
from .policy.models import PolicyParamsVersion

# How many of a business's live claims are looked at to count its absorbed persons (never fewer
# than a year's threshold), and how many of the claims counted are listed: a business with a
# hundred thousand live claims is answered as fast as one with five, and the approval decides
# the same (count ≥ threshold). Past the cap the count reads "100人以上".
COUNT_CAP = 100
LISTED = 50

_OF_BUSINESS = (
    Claim.claimant_org_id == bindparam("claimant"),
    Claim.subsidy_type == bindparam("type"),
    Claim.state.not_in(CLAIM_DEAD_VALUES),
)


@cache
def _count(rows: int | None) -> Select[int, int]:
    """Claims seen and persons among them, of the first ``rows`` live claims the database
    finds (no order asked, so both databases stop there, whatever index they take); all of
    them with None."""
    claims = select(Claim.person_id).where(
        *_OF_BUSINESS, Claim.person_id.not_in(bindparam("besides", expanding=True))
    )
    seen = (claims if rows is None else claims.limit(rows)).subquery()
    return select(func.count(), func.count(distinct(seen.c.person_id))).select_from(seen)


_SOME = select(Claim.id, Claim.person_id).where(*_OF_BUSINESS).limit(2 * LISTED).subquery()
# Each name looked up by the person's key: a join would let the planner hash all the persons.
_LISTED = select(
    _SOME.c.id,
    _SOME.c.person_id,
    select(Person.name).where(Person.id == _SOME.c.person_id).scalar_subquery(),
)


def persons_counted(
    conn: Session | Connection,
    claimant_org_id: int,
    subsidy_type: str,
    required: int,
    besides: Iterable[int] = (),
) -> tuple[int, bool]:
    """The persons the business's live claims of the type name (other than ``besides``),
    counted up to ``COUNT_CAP`` (or the threshold if higher); and whether there are more."""
    cap = max(COUNT_CAP, min(required, 1 << 20))
    values = {"claimant": claimant_org_id, "type": subsidy_type, "besides": sorted(besides)}
    seen, persons = conn.execute(_count(cap + 1), values).one()
    if seen <= cap:  # every live claim was seen: the count is exact
        return persons, False
    if persons >= required:  # at least this many: the threshold is met whatever the rest
        return min(persons, cap), True
    # More claims than the cap for fewer persons than the threshold (a person's claims of many
    # years): the decision needs them all.
    return conn.execute(_count(None), values).one()[1], False


_VERSION_PARAMS = select(PolicyParamsVersion.params).where(PolicyParamsVersion.id == bindparam("id"))
_YEAR_PARAMS = select(PolicyYear.params).where(PolicyYear.year == bindparam("year"))


def absorption_of(
    conn: Session | Connection,
    claimant_org_id: int,
    subsidy_type: str,
    policy_year: int,
    params_version_id: int | None = None,
) -> Absorption:
    """The business's absorbed target persons counted now: one per person named by its live
    claims of the type (any year, filed alone or in lists), against the threshold of the
    parameter set the claim was computed with (its year's current one if it has none).
    Counted up to ``COUNT_CAP`` (or the threshold, if higher); up to ``LISTED`` listed, by number."""
    if params_version_id is not None:
        record = conn.execute(_VERSION_PARAMS, {"id": params_version_id}).scalar()
    else:
        record = conn.execute(_YEAR_PARAMS, {"year": policy_year}).scalar()
    # A year without parameters cannot have a claim; fail closed all the same.
    required = PolicyParams.from_record(record).absorption_min_persons if record else 1 << 30
    count, capped = persons_counted(conn, claimant_org_id, subsidy_type, required)
    first: dict[int, tuple[int, str]] = {}
    for claim_id, person_id, name in sorted(
        conn.execute(_LISTED, {"claimant": claimant_org_id, "type": subsidy_type})
    ):
        if len(first) < LISTED:
            first.setdefault(person_id, (claim_id, name))
    return Absorption(
        count,
        required,
        tuple(c for c, _ in first.values()),
        tuple(n for _, n in first.values()),
        capped=capped,
    )


BAND_GUARDS = frozenset({"within_ordinary_amount", "above_ordinary_amount"})


def _params_of(conn: Session | Connection, case: Any) -> PolicyParams | None:
    version = getattr(case, "params_version_id", None)
    if version is not None:
        record = conn.execute(_VERSION_PARAMS, {"id": version}).scalar()
    else:
        record = conn.execute(_YEAR_PARAMS, {"year": case.policy_year}).scalar()
    return PolicyParams.from_record(record) if record else None


def supply_guard_inputs(
    conn: Session | Connection, workflow: str, case: Any, guards: Sequence[str] | None = None
) -> None:
    """Give a case what the named guards (by default all of them) read beyond its own row."""
    if workflow != "claim":
        return
    if guards is None or BAND_GUARDS & set(guards):
        # The ordinary range of the parameter set the amount was computed with.
        params = _params_of(conn, case)
        case.ordinary_amount = limits.ordinary_of(case.subsidy_type, params) if params else None
    if getattr(case, "subsidy_type", None) not in ABSORPTION_TYPES:
        return
    if guards is None or "absorption_threshold_met" in guards:
        case.absorption = absorption_of(
            conn,
            case.claimant_org_id,
            case.subsidy_type,
            case.policy_year,
            getattr(case, "params_version_id", None),
        )
