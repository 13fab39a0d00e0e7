"""Builders for 在岗领补 cases: an active post contract on given dates (the one builder of active
contracts for every test), the village committee that files its monthly claims, and the clock
set to a given day."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from store.access.users import actor_for, create_user
from store.claims.filing import ClaimInput
from store.contracts.lifecycle import ContractInput, propose_contract, record_insurance
from store.contracts.posts import PostInput, create_post
from store.db import Database
from store.models import Contract, Organisation
from store.transitions import transition
from workflow.roles import Actor

from .builders import County, person


def on(clock, day: date, hour: int = 10) -> None:  # type: ignore[no-untyped-def]
    clock.current = datetime(day.year, day.month, day.day, hour)


def active_contract(
    db: Database,
    c: County,
    start: date = date(2026, 1, 1),
    end: date = date(2026, 12, 31),
    name: str = "卓玛",
    *,
    person_id: int | None = None,
    monthly: str = "800",
) -> Contract:
    """An active post contract from ``start`` to ``end`` on a new 保洁员 post of the first
    village, walked along the real path (propose, verify, approve, insure, activate) for a new
    person called ``name`` or the person ``person_id``. The clock must allow its steps."""
    pid = person_id or person(db, c.village, name=name)
    with db.transaction() as s:
        post = create_post(s, c.hr, PostInput(c.village, "保洁员", Decimal(monthly)))
        cid = propose_contract(s, db, c.hr, ContractInput(post.id, pid, start, end)).id
    transition(db, "contract", cid, "verify", c.verifier)
    transition(db, "contract", cid, "approve", c.hr2)
    record_insurance(db, c.hr2, cid, "PICC-2026-0001")
    return transition(db, "contract", cid, "activate", c.hr2)


def committee_clerk(db: Database, c: County) -> Actor:
    """An agent of the village's committee, which files its post holders' claims by hand."""
    with db.transaction() as s:
        org = Organisation(name="阿东村民委员会", kind="village_committee", village_id=c.village)
        s.add(org)
        s.flush()
        return actor_for(
            s, create_user(s, db, username="clerk", password="password-123", roles=["agent"], org_id=org.id)
        )


def month_claim(db: Database, contract_id: int, month: str) -> ClaimInput:
    with db.sessions() as s:
        pid = s.get_one(Contract, contract_id).person_id
    return ClaimInput("public_welfare_post", pid, int(month[:4]), {"month": month}, contract_id)
