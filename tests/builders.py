"""Small builders for service-level tests: a county, people, staff, and claims in any state."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stdnum.cn import ric

from store.access.users import actor_for, create_user
from store.claims import ClaimInput, submit_claim
from store.db import Database
from store.models import Claim, Township, Village
from store.people.persons import PersonInput, create_organisation, create_person
from store.transitions import transition
from workflow import engine
from workflow.machines import CLAIM
from workflow.roles import Actor, Role

_seq = itertools.count(1)


def id_number(birth: str = "19900101", area: str = "533422") -> str:
    """A valid resident ID number: area code, birth date, a fresh sequence, check digit."""
    body = f"{area}{birth}{next(_seq) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it expects a placeholder check digit


@dataclass
class County:
    village: int
    other_village: int
    org: int  # a labour broker
    other_org: int  # an HR service agency
    agent: Actor
    other_agent: Actor
    verifier: Actor
    other_verifier: Actor
    hr: Actor
    hr2: Actor
    finance: Actor


def county(db: Database) -> County:
    with db.transaction() as s:
        t = Township(code="533422101", name="升平镇")
        s.add(t)
        s.flush()
        v1 = Village(township_id=t.id, code="533422101001", name="阿东村")
        v2 = Village(township_id=t.id, code="533422101002", name="巨水村")
        s.add_all([v1, v2])
        s.flush()
        broker = create_organisation(s, db, name="德钦劳务经纪人扎西", kind="labour_broker")
        agency = create_organisation(
            s, db, name="迪庆人力资源服务公司", kind="hr_agency", credit_code="91110000600037341L"
        )

        def user(name: str, roles: list[str], **kw: object) -> Actor:
            u = create_user(
                s, db, username=name, password="password-123", roles=roles, display_name=name, **kw
            )  # type: ignore[arg-type]
            return actor_for(s, u)

        return County(
            village=v1.id,
            other_village=v2.id,
            org=broker.id,
            other_org=agency.id,
            agent=user("agent1", ["agent"], org_id=broker.id),
            other_agent=user("agent2", ["agent"], org_id=agency.id),
            verifier=user("village1", ["village"], village_ids=[v1.id]),
            other_verifier=user("village2", ["village"], village_ids=[v2.id]),
            hr=user("hr1", ["hr"]),
            hr2=user("hr2", ["hr"]),
            finance=user("finance1", ["finance"]),
        )


def person(
    db: Database, village_id: int, groups: tuple[str, ...] = ("poverty_alleviated",), name: str = "卓玛"
) -> int:
    with db.transaction() as s:
        return create_person(
            s,
            db,
            PersonInput(
                name=name,
                id_number=id_number(),
                village_id=village_id,
                target_groups=groups,
                bank_account="6217000000000000123",
            ),
        ).id


def export_claim(
    db: Database, c: County, person_id: int, agent: Actor | None = None, destination: str = "out_of_province"
) -> Claim:
    return submit_claim(
        db,
        agent or c.agent,
        ClaimInput(
            "labour_export_service",
            person_id,
            2026,
            {"destination": destination, "employment_start": "2026-03-01"},
        ),
    )


def claim_in(db: Database, c: County, state: str) -> Claim:
    """A labour-export claim walked along the table's shortest path to ``state``."""
    claim = export_claim(db, c, person(db, c.village))
    by_role = {Role.AGENT: c.agent, Role.VILLAGE: c.verifier, Role.HR: c.hr, Role.FINANCE: c.finance}
    for step in CLAIM.path_to(state):
        if engine.service_of(step) == "payout":  # money moves only through a payout batch
            from .builders_payouts import pay_through_batch

            claim = pay_through_batch(db, c.finance, claim.id)
        else:
            claim = transition(db, "claim", claim.id, step.trigger, by_role[step.role], comment="请补充材料")
    return claim


MONTHLY = Decimal("800")
START = date(2026, 1, 1)


def add_admin(db: Database, username: str = "admin1") -> Actor:
    """The bureau's system administrator: settings, policy years, the register of organisations."""
    with db.transaction() as s:
        return actor_for(
            s,
            create_user(
                s, db, username=username, password="password-123", roles=["admin"], display_name="管理员"
            ),
        )


def legacy_account(db: Database, username: str, roles: list[str]) -> Actor:
    """An account holding roles no account may now be given together (``workflow.roles.
    check_roles_together``), as one made before that rule would: the steps of each case still
    refuse the same hands twice (``Step.not_by``)."""
    from sqlalchemy import update

    from store.models import User

    with db.transaction() as s:
        user = create_user(
            s, db, username=username, password="password-123", roles=roles[:1], display_name=username
        )
        s.execute(update(User).where(User.id == user.id).values(roles=",".join(sorted(roles))))
        s.refresh(user)
        return actor_for(s, user)
