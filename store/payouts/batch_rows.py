"""A payout batch as read: its row (``batch_row`` in the caller's transaction, ``get_batch``
with its lines) and the lines of its 发放花名册 with masked ID and account numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.errors import NotFound
from workflow.identity import mask

from ..db import Database
from ..models import Claim, Organisation, Person
from .models import PayoutBatch, PayoutLine


def get_batch(db: Database, batch_id: int) -> PayoutBatch:
    with db.transaction() as s:
        batch = s.scalar(
            select(PayoutBatch).where(PayoutBatch.id == batch_id).options(selectinload(PayoutBatch.lines))
        )
        if batch is None:
            raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
        return batch


def batch_row(s: Session, batch_id: int) -> PayoutBatch:
    batch = s.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
    return batch


def roster_lines(db: Database, batch_id: int, include_failed: bool = False) -> list[dict[str, Any]]:
    """The 发放花名册 lines: payee, masked ID and account, amount (failed lines left out)."""
    q = (
        select(PayoutLine, Person.name, Person.id_number_enc, Organisation.credit_code)
        .join(Claim, Claim.id == PayoutLine.claim_id)
        .join(Person, Person.id == Claim.person_id)
        .join(Organisation, Organisation.id == Claim.claimant_org_id)
        .where(PayoutLine.batch_id == batch_id)
        .order_by(PayoutLine.seq)
    )
    if not include_failed:
        q = q.where(PayoutLine.status != "failed")
    out = []
    with db.transaction() as s:
        batch_row(s, batch_id)
        for line, person_name, id_enc, credit_code in s.execute(q):
            masked_id = mask(db.vault.decrypt(id_enc)) if line.payee_kind == "person" else mask(credit_code)
            out.append(
                {
                    "seq": line.seq,
                    "name": line.payee_name,
                    "person_name": person_name,
                    "id_masked": masked_id,
                    "account_masked": mask(db.vault.decrypt(line.account_enc)),
                    "amount": line.amount,
                    "reference": str(line.claim_id),
                    "status": line.status,
                }
            )
    return out
