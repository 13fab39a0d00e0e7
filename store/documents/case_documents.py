"""Which documents a claim or contract may have, and issuing them for staff and for agents."""

from __future__ import annotations

from workflow.errors import ValidationFailed
from workflow.roles import Actor

from ..claims.case_view import claim_documents, visible_claim
from ..claims.evidence import owned_claim
from ..contracts.view import visible_contract
from ..db import Database
from ..models import Claim
from .issuing import Issued, issue


def _check(claim: Claim, kind: str) -> None:
    if kind == "rejection_notice" and kind not in claim_documents(claim):
        raise ValidationFailed("validation.document", "只有不予批准的申请才能出具不予批准通知", field="kind")


def claim_document_for_staff(db: Database, actor: Actor, kind: str, claim_id: int, base_url: str) -> Issued:
    """A numbered document for a claim of the staff member's villages (or any, county-wide)."""
    with db.transaction() as session:
        claim = visible_claim(session, actor, claim_id)
    _check(claim, kind)
    return issue(db, actor, kind, claim_id, base_url)


def claim_document_for_agent(db: Database, actor: Actor, kind: str, claim_id: int, base_url: str) -> Issued:
    """A numbered document for a claim the agent's organisation filed."""
    with db.transaction() as session:
        claim = owned_claim(session, actor, claim_id)
    _check(claim, kind)
    return issue(db, actor, kind, claim_id, base_url)


def contract_document_for_staff(
    db: Database, actor: Actor, kind: str, contract_id: int, base_url: str
) -> Issued:
    with db.transaction() as session:
        visible_contract(session, actor, contract_id)
    return issue(db, actor, kind, contract_id, base_url)
