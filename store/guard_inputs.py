"""What a step's guards read beyond the case's own row, supplied by the store before firing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from workflow.guards import ABSORPTION_TYPES, Absorption
from workflow.rules import PolicyParams
from workflow.states import CLAIM_DEAD_STATES

from .models import Claim, Person, PolicyYear
from .policy.models import PolicyParamsVersion

_LIVE = [s.value for s in CLAIM_DEAD_STATES]


def absorption_of(
    conn: Session | Connection,
    claimant_org_id: int,
    subsidy_type: str,
    policy_year: int,
    params_version_id: int | None = None,
) -> Absorption:
    """The business's absorbed target persons counted now: one per person named by its live
    claims of the type (any year, filed alone or in lists), against the threshold of the
    parameter set the claim was computed with (its year's current one if it has none)."""
    rows = conn.execute(
        select(Claim.id, Claim.person_id, Person.name)
        .join(Person, Person.id == Claim.person_id)
        .where(
            Claim.claimant_org_id == claimant_org_id,
            Claim.subsidy_type == subsidy_type,
            Claim.state.not_in(_LIVE),
        )
        .order_by(Claim.id)
    ).all()
    first: dict[int, tuple[int, str]] = {}
    for claim_id, person_id, name in rows:
        first.setdefault(person_id, (claim_id, name))
    if params_version_id is not None:
        record = conn.execute(
            select(PolicyParamsVersion.params).where(PolicyParamsVersion.id == params_version_id)
        ).scalar()
    else:
        record = conn.execute(select(PolicyYear.params).where(PolicyYear.year == policy_year)).scalar()
    # A year without parameters cannot have a claim; fail closed all the same.
    required = PolicyParams.from_record(record).absorption_min_persons if record else 1 << 30
    return Absorption(
        len(first), required, tuple(c for c, _ in first.values()), tuple(n for _, n in first.values())
    )


def supply_guard_inputs(
    conn: Session | Connection, workflow: str, case: Any, guards: Sequence[str] | None = None
) -> None:
    """Give a case what the named guards (by default all of them) read beyond its own row."""
    if workflow != "claim" or getattr(case, "subsidy_type", None) not in ABSORPTION_TYPES:
        return
    if guards is None or "absorption_threshold_met" in guards:
        case.absorption = absorption_of(
            conn,
            case.claimant_org_id,
            case.subsidy_type,
            case.policy_year,
            getattr(case, "params_version_id", None),
        )
