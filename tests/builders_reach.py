"""Builders for the agent-reach tests: one more organisation with a token, people registered
through the API by each organisation, and claims that name a person in either way."""

from __future__ import annotations

from typing import Any

from store.access.users import create_token, create_user
from store.db import Database
from store.people.persons import create_organisation

from .api_support import Api
from .builders import id_number

VILLAGE = "533422101001"
YEAR = 2026  # seeded by the migrations; every claim says its year, whatever the clock
EXPORT = {"destination": "out_of_province", "employment_start": "2026-03-01"}
IN_COUNTY = {"destination": "in_county", "employment_start": "2026-03-01"}  # refused by the rule


def third_agent(db: Database, name: str = "阿东村村委会") -> str:
    """A token of a village committee, a third organisation beside the county's two."""
    with db.transaction() as s:
        org = create_organisation(s, db, name=name, kind="village_committee")
        user = create_user(
            s,
            db,
            username="agent3",
            password="password-123",
            roles=["agent"],
            display_name="agent3",
            org_id=org.id,
        )
        return create_token(s, db, user)


def registered(
    api: Api, token: str | None = None, name: str = "卓玛", number: str | None = None
) -> tuple[int, str]:
    """Register a person as the token's organisation: (person id, the full resident ID)."""
    number = number or id_number()
    r = api.post(
        "/api/v1/persons",
        token=token,
        json={
            "name": name,
            "id_number": number,
            "village_code": VILLAGE,
            "target_groups": ["poverty_alleviated"],
            "bank_account": "6217000000000000123",
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"]), number


def claim_body(facts: dict[str, Any] | None = None, **person: Any) -> dict[str, Any]:
    """A labour-export claim naming the person by ``person_id=`` or ``id_number=``."""
    return {"subsidy_type": "labour_export_service", "policy_year": YEAR, "facts": facts or EXPORT, **person}
