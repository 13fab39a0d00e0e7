"""Builders for the policy-year tests: an admin, and a claim that reads a bureau-set figure."""

from __future__ import annotations

from workflow.roles import Actor
from workflow.store.access.users import actor_for, create_user
from workflow.store.claims.filing import ClaimInput, submit_claim
from workflow.store.db import Database
from workflow.store.models import Claim

from .builders import County, person
from .page_support import PASSWORD


def add_admin(db: Database, username: str = "admin1") -> Actor:
    with db.transaction() as s:
        return actor_for(
            s,
            create_user(s, db, username=username, password=PASSWORD, roles=["admin"], display_name="管理员"),
        )


def migrant_claim(db: Database, c: County, year: int = 2026) -> Claim:
    """一次性外出务工奖补: its amount is a figure the plan leaves to the bureau."""
    return submit_claim(
        db,
        c.agent,
        ClaimInput(
            "migrant_work_reward",
            person(db, c.village),
            year,
            {"destination": "out_of_province", "employment_start": f"{year}-03-01"},
        ),
    )
