"""A payout batch's control totals: its line count, amount and the sum per payee, over the
lines still to be or already paid (made with the batch, kept when a line fails)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Claim
from .batch_rows import batch_row
from .models import PayoutLine


def refresh_totals(s: Session, batch_id: int) -> None:
    """The batch's control totals (count, amount, per payee) over its lines still to be or
    already paid: a failed line no longer counts."""
    rows = s.execute(
        select(PayoutLine, Claim.person_id, Claim.claimant_org_id)
        .join(Claim, Claim.id == PayoutLine.claim_id)
        .where(PayoutLine.batch_id == batch_id, PayoutLine.status != "failed")
        .order_by(PayoutLine.seq)
    ).all()
    batch = batch_row(s, batch_id)
    batch.line_count = len(rows)
    batch.total_amount = sum((li.amount for li, _, _ in rows), Decimal("0.00"))
    batch.payee_totals = payee_totals(
        (
            ("person", person) if li.payee_kind == "person" else ("org", org),
            li.payee_name,
            li.account_last4,
            li.amount,
        )
        for li, person, org in rows
    )


def payee_totals(rows: Iterable[tuple[tuple[str, int], str, str, Decimal]]) -> dict[str, Any]:
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for key, name, last4, amount in rows:
        t = totals.setdefault(
            key,
            {
                "payee": name,
                "payee_kind": key[0],
                "account_last4": last4,
                "lines": 0,
                "amount": Decimal("0.00"),
            },
        )
        t["lines"] += 1
        t["amount"] += amount
    return {"payees": [{**t, "amount": f"{t['amount']:.2f}"} for t in totals.values()]}
