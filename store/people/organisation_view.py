"""What the register's pages show: the list, an organisation's page and its form."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.roles import Actor

from ..claims.worklist import villages_of
from ..db import Database
from ..models import Organisation, User, Village
from . import org_queries
from .org_models import OrganisationHistory


def organisations(db: Database, f: org_queries.OrgFilter) -> org_queries.OrgPage:
    with db.transaction() as session:
        return org_queries.list_organisations(session, f)


@dataclass(frozen=True)
class OrganisationPage:
    org: Organisation
    village: str  # the village's name, "" for none
    agents: list[User]
    history: list[OrganisationHistory]


def organisation(db: Database, org_id: int) -> OrganisationPage:
    with db.transaction() as session:
        org = org_queries.get_organisation(session, org_id)
        village = session.get(Village, org.village_id) if org.village_id else None
        return OrganisationPage(
            org,
            village.name if village else "",
            org_queries.agents_of(session, org_id),
            org_queries.history_of(session, org_id),
        )


@dataclass(frozen=True)
class OrganisationForm:
    org: Organisation | None  # None when registering a new one
    villages: list[Village]
    choices: list[tuple[User, str]]  # agent accounts that may act for it
    acting: set[int]  # those acting for it now


def organisation_form(db: Database, actor: Actor, org_id: int | None) -> OrganisationForm:
    with db.transaction() as session:
        org = org_queries.get_organisation(session, org_id) if org_id is not None else None
        return OrganisationForm(
            org,
            villages_of(session, actor),
            org_queries.agent_choices(session),
            {u.id for u in org_queries.agents_of(session, org_id)} if org_id else set(),
        )
