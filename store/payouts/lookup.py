"""Finance's payment look-up: the batch lines of a claim found by its number, a payee's or
claimant person's name, or the bank's reference: which batch paid it, when, how much, with
which reference (or why it failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import aliased

from workflow.roles import Actor

from ..db import Database
from ..models import Claim, Person, User
from .batches import require_finance
from .models import PayoutBatch, PayoutLine

LOOKUP_LIMIT = 50
QUERY_MAX = 60  # characters of a query; a longer one is cut


@dataclass(frozen=True)
class FoundPayment:
    claim_id: int
    person_name: str  # whom the claim is for
    subsidy_type: str
    batch_id: int
    batch_reference: str
    batch_created_at: datetime
    seq: int
    payee_name: str
    account_last4: str
    amount: Decimal  # due on the line
    paid_amount: Decimal | None  # what was paid (the bank's amount when finance accepted it)
    status: str  # pending, paid, failed
    bank_reference: str
    paid_on: date | None
    paid_by: str  # who confirmed it
    failure_reason: str


@dataclass(frozen=True)
class Lookup:
    query: str
    found: list[FoundPayment]
    more: bool  # more lines matched than are listed


def find_payments(db: Database, actor: Actor, query: str, paid_only: bool = False) -> Lookup:
    """Batch lines matching the query, newest first: a number matches the claim number or a bank
    reference exactly; any text matches part of a name or of a bank reference."""
    require_finance(actor)
    query = " ".join((query or "").split())[:QUERY_MAX]
    if not query:
        return Lookup("", [], False)
    payer = aliased(User)
    q = (
        select(PayoutLine, PayoutBatch, Claim.subsidy_type, Person.name, payer.display_name)
        .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .join(Claim, Claim.id == PayoutLine.claim_id)
        .join(Person, Person.id == Claim.person_id)
        .outerjoin(payer, payer.id == PayoutLine.paid_by)
        .where(_matching(query))
        .order_by(PayoutLine.id.desc())
        .limit(LOOKUP_LIMIT + 1)
    )
    if paid_only:
        q = q.where(PayoutLine.status == "paid")
    with db.transaction() as s:
        rows = s.execute(q).all()
    found = [
        FoundPayment(
            claim_id=line.claim_id,
            person_name=person_name,
            subsidy_type=subsidy_type,
            batch_id=batch.id,
            batch_reference=batch.reference,
            batch_created_at=batch.created_at,
            seq=line.seq,
            payee_name=line.payee_name,
            account_last4=line.account_last4,
            amount=line.amount,
            paid_amount=line.paid_amount,
            status=line.status,
            bank_reference=line.bank_reference or "",
            paid_on=line.paid_on,
            paid_by=paid_by or "",
            failure_reason=line.failure_reason or "",
        )
        for line, batch, subsidy_type, person_name, paid_by in rows[:LOOKUP_LIMIT]
    ]
    return Lookup(query, found, len(rows) > LOOKUP_LIMIT)


def _matching(query: str) -> ColumnElement[bool]:
    """A number: the claim number or a bank reference, exactly (or part of a reference when it
    is long enough to mean one); text: part of a name or of a bank reference."""
    like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    in_reference = PayoutLine.bank_reference.ilike(like, escape="\\")
    if query.isascii() and query.isdigit():
        exact = or_(PayoutLine.bank_reference == query, in_reference if len(query) >= 6 else false())
        return or_(PayoutLine.claim_id == int(query), exact) if len(query) <= 18 else exact
    return or_(
        PayoutLine.payee_name.like(like, escape="\\"), Person.name.like(like, escape="\\"), in_reference
    )
