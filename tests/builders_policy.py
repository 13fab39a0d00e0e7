"""Builders for the policy-year tests: an admin, and a claim that reads a bureau-set figure."""

from __future__ import annotations

from store.claims import ClaimInput, submit_claim
from store.db import Database
from store.models import Claim

from .builders import County, person


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
