"""Builders for the labour-force tests: people born on a given day, and approved claims with an
employment start made at an explicit time (post contracts: builders_posts.active_contract)."""

from __future__ import annotations

from datetime import date, datetime

from store.claims import ClaimInput, submit_claim
from store.db import Database
from store.models import Claim
from store.people.persons import PersonInput, create_person
from store.transitions import transition
from workflow.clock import FrozenClock

from .builders import County, id_number


def born(
    db: Database,
    village: int,
    birth: date,
    capacity: str = "full",
    override: bool = False,
    groups: tuple[str, ...] = ("relocated",),
    household: str | None = None,
    name: str = "卓玛",
) -> int:
    with db.transaction() as s:
        return create_person(
            s,
            db,
            PersonInput(
                name=name,
                id_number=id_number(f"{birth:%Y%m%d}"),
                village_id=village,
                target_groups=groups,
                labour_capacity=capacity,
                labour_force_override=override,
                household_no=household,
                bank_account="6217000000000000123",
            ),
        ).id


def export_from(
    db: Database,
    c: County,
    clock: FrozenClock,
    person_id: int,
    start: date,
    at: datetime,
    approve: bool = True,
) -> Claim:
    """A labour-export claim for work from ``start``, filed at ``at`` and (unless told not to)
    verified and approved there and then."""
    clock.current = at
    claim = submit_claim(
        db,
        c.agent,
        ClaimInput(
            "labour_export_service",
            person_id,
            start.year,
            {"destination": "out_of_province", "employment_start": start.isoformat()},
        ),
    )
    if approve:
        transition(db, "claim", claim.id, "verify", c.verifier)
        claim = transition(db, "claim", claim.id, "approve", c.hr)
    return claim
