"""Builders for the labour-force tests: people born on a given day, approved claims with an
employment start, post contracts that took effect, each at an explicit time."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from workflow.clock import FrozenClock
from workflow.roles import Actor
from workflow.store.access.users import actor_for, create_user
from workflow.store.claims.filing import ClaimInput, submit_claim
from workflow.store.contracts.lifecycle import ContractInput, propose_contract, record_insurance
from workflow.store.contracts.posts import PostInput, create_post
from workflow.store.db import Database
from workflow.store.models import Claim, Contract
from workflow.store.people.persons import PersonInput, create_person
from workflow.store.transitions import transition

from .builders import County, id_number
from .page_support import PASSWORD


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


def post_contract(
    db: Database, c: County, clock: FrozenClock, person_id: int, start: date, end: date, at: datetime
) -> Contract:
    """A post contract proposed at ``at`` that takes effect the same day."""
    clock.current = at
    with db.transaction() as s:
        post = create_post(s, c.hr, PostInput(c.village, "保洁员", Decimal("800")))
        contract = propose_contract(s, db, c.hr, ContractInput(post.id, person_id, start, end))
    transition(db, "contract", contract.id, "verify", c.verifier)
    transition(db, "contract", contract.id, "approve", c.hr2)
    record_insurance(db, c.hr2, contract.id, "PICC-2026-0001")
    return transition(db, "contract", contract.id, "activate", c.hr2)


def admin(db: Database, username: str = "admin1") -> Actor:
    with db.transaction() as s:
        return actor_for(s, create_user(s, db, username=username, password=PASSWORD, roles=["admin"]))
