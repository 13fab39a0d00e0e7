"""A payout batch is a workflow like a claim: each of its steps leaves a history row."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from store.payouts import batch_pool, batch_rows
from store.payouts import batches as payouts
from store.payouts.models import PayoutBatch, PayoutHistory

from .builders import claim_in, county
from .builders_payouts import PAID_ON, give_payee_an_account


@pytest.fixture(autouse=True)
def _monday_30_november_2026(clock):
    clock.current = datetime(2026, 11, 30, 10, 0)


def _history(db, batch_id):
    with db.sessions() as s:
        rows = s.scalars(
            select(PayoutHistory).where(PayoutHistory.batch_id == batch_id).order_by(PayoutHistory.id)
        )
        return [(h.trigger, h.from_state, h.to_state, h.role, h.actor_id) for h in rows]


def test_a_batch_made_exported_settled_and_closed_has_each_step_in_its_history(db):
    c = county(db)
    paid, failed = claim_in(db, c, "hr_reviewed"), claim_in(db, c, "hr_reviewed")
    for claim in (paid, failed):
        give_payee_an_account(db, claim.id)
    batch = batch_pool.create_batch(db, c.finance, [paid.id, failed.id])
    payouts.bank_file(db, c.finance, batch.id, "csv")
    payouts.bank_file(db, c.finance, batch.id, "csv")  # the bank asked for it again
    lines = {li.claim_id: li.id for li in batch_rows.get_batch(db, batch.id).lines}
    payouts.confirm_paid(db, c.finance, batch.id, "YH-0001", PAID_ON, [lines[paid.id]])
    assert _history(db, batch.id)[-1][0] == "export"  # one line still pending: not confirmed
    payouts.mark_failed(db, c.finance, lines[failed.id], "账号已销户")
    payouts.close_batch(db, c.finance, batch.id)
    fin = c.finance.user_id
    assert _history(db, batch.id) == [
        ("create", None, "open", "finance", fin),
        ("export", "open", "exported", "finance", fin),
        ("export", "exported", "exported", "finance", fin),
        ("confirm", "exported", "confirmed", "system", 0),
        ("close", "confirmed", "closed", "finance", fin),
    ]
    with db.sessions() as s:
        assert s.get_one(PayoutBatch, batch.id).state == "closed"
