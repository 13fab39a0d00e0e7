"""Reading the register of organisations: the list page by page, one organisation, its agents
and record of changes, the agent accounts to pick from, and what the rules read of an
organisation as a claimant (``claimant_facts``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from workflow.errors import NotFound
from workflow.roles import Role
from workflow.rules import ClaimantFacts

from ..models import Organisation, User
from .org_models import OrganisationHistory

PAGE_SIZE = 50


@dataclass(frozen=True)
class OrgFilter:
    q: str | None = None
    kind: str | None = None
    page: int = 1


@dataclass
class OrgPage:
    rows: list[Organisation]
    agents: dict[int, int]  # organisation id → its active agents
    total: int
    page: int
    pages: int


def masked_bank(org: Organisation) -> str:
    return f"****{org.bank_last4}" if org.bank_last4 else ""


def agents_of(session: Session, org_id: int) -> list[User]:
    """The active agent accounts acting for the organisation (a deactivated one keeps its
    organisation, for the record, but is no longer offered or listed)."""
    return list(
        session.scalars(
            select(User)
            .where(User.org_id == org_id, User.active.is_(True), User.roles.contains(Role.AGENT.value))
            .order_by(User.id)
        )
    )


def get_organisation(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("not_found.organisation", "申报单位不存在", id=org_id)
    return org


def history_of(session: Session, org_id: int) -> list[OrganisationHistory]:
    return list(
        session.scalars(
            select(OrganisationHistory)
            .where(OrganisationHistory.organisation_id == org_id)
            .order_by(OrganisationHistory.id.desc())
        )
    )


def organisations_query(f: OrgFilter) -> Select[Organisation]:
    """The register as the list filters it: by name or credit code (``q``) and by kind."""
    q = select(Organisation)
    if f.kind:
        q = q.where(Organisation.kind == f.kind)
    if f.q:
        q = q.where(
            or_(
                Organisation.name.contains(f.q, autoescape=True),
                Organisation.credit_code.startswith(f.q.upper(), autoescape=True),
            )
        )
    return q


def list_organisations(session: Session, f: OrgFilter) -> OrgPage:
    """The register, newest first: by name or credit code (``q``) and by kind."""
    q = organisations_query(f)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(f.page, 1), pages)
    rows = list(
        session.scalars(q.order_by(Organisation.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    )
    return OrgPage(rows, agent_counts(session, [o.id for o in rows]), total, page, pages)


def agent_counts(session: Session, ids: list[int] | None) -> dict[int, int]:
    """Each of these organisations' active agents, or every organisation's (``ids`` None);
    none listed for those without."""
    if ids is not None and not ids:
        return {}
    q = select(User.org_id, func.count()).where(
        User.org_id.is_not(None), User.active.is_(True), User.roles.contains(Role.AGENT.value)
    )
    if ids is not None:
        q = q.where(User.org_id.in_(ids))
    return {org_id: n for org_id, n in session.execute(q.group_by(User.org_id)).all() if org_id is not None}


def agent_choices(session: Session) -> list[tuple[User, str]]:
    """Every active agent account with the organisation it acts for now (to pick from)."""
    rows = session.execute(
        select(User, Organisation.name)
        .outerjoin(Organisation, Organisation.id == User.org_id)
        .where(User.active.is_(True), User.roles.contains(Role.AGENT.value))
        .order_by(User.username)
    )
    return [(user, name or "") for user, name in rows.all()]


def claimant_facts(org: Organisation) -> ClaimantFacts:
    """What the rules read of a claimant; the recognition date only while it is recognised."""
    return ClaimantFacts(
        org.id,
        org.kind,
        org.recognised,
        org.first_business,
        recognised_on=org.recognised_on if org.recognised else None,
        recognition_doc_no=org.recognition_doc_no if org.recognised else None,
    )
