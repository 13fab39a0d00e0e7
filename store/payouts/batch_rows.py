"""A payout batch as read: its row (``batch_row`` in the caller's transaction, ``get_batch``
with its lines), its lines with their payees, and the lines of its 发放花名册 with masked ID
and account numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
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


def lines_with_payees(batch_id: int) -> Select[PayoutLine, str, str, str | None]:
    """The batch's lines in order, each with its person's name and encrypted ID number and the
    claimant organisation's credit code (what a roster or an export shows of the payee)."""
    return (
        select(PayoutLine, Person.name, Person.id_number_enc, Organisation.credit_code)
        .join(Claim, Claim.id == PayoutLine.claim_id)
        .join(Person, Person.id == Claim.person_id)
        .join(Organisation, Organisation.id == Claim.claimant_org_id)
        .where(PayoutLine.batch_id == batch_id)
        .order_by(PayoutLine.seq)
    )


def masked_payee_id(db: Database, line: PayoutLine, id_enc: str, credit_code: str | None) -> str:
    """The payee's number, masked: the person's ID number, or the organisation's credit code."""
    return mask(db.vault.decrypt(id_enc)) if line.payee_kind == "person" else mask(credit_code)


def roster_lines(db: Database, batch_id: int, include_failed: bool = False) -> list[dict[str, Any]]:
    """The 发放花名册 lines: payee, masked ID and account, amount (failed lines left out)."""
    q = lines_with_payees(batch_id)
    if not include_failed:
        q = q.where(PayoutLine.status != "failed")
    out = []
    with db.transaction() as s:
        batch_row(s, batch_id)
        for line, person_name, id_enc, credit_code in s.execute(q):
            out.append(
                {
                    "seq": line.seq,
                    "name": line.payee_name,
                    "person_name": person_name,
                    "id_masked": masked_payee_id(db, line, id_enc, credit_code),
                    "account_masked": mask(db.vault.decrypt(line.account_enc)),
                    "amount": line.amount,
                    "reference": str(line.claim_id),
                    "status": line.status,
                }
            )
    return out
