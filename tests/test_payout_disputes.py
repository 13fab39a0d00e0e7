"""A line marked failed that the bank's return file says it paid (issue 14: money is paid once):
the claim is held out of the pool and out of any other batch's confirmation until finance has
checked with the bank, and then paid by that line or released, never both."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from store.models import ClaimHistory
from store.payouts import batch_pool, batch_rows
from store.payouts import batches as payouts
from store.payouts.models import PayoutLine
from store.payouts.return_import import import_return
from store.payouts.returns import decide
from workflow.errors import InvalidTransition

from .builders import claim_in
from .builders_payouts import give_broker_an_account

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

PAID_ON = date(2026, 11, 27)


@pytest.fixture
def c(c, db):
    return give_broker_an_account(db, c)


def failed_then_paid_by_the_bank(db, c):
    """A claim's line failed by hand; the bank's return file then says it was paid."""
    claim_id = claim_in(db, c, "hr_reviewed").id
    batch = batch_pool.create_batch(db, c.finance, [claim_id])
    content = payouts.bank_file(db, c.finance, batch.id, "csv").decode("utf-8-sig")
    line = batch_rows.get_batch(db, batch.id).lines[0]
    payouts.mark_failed(db, c.finance, line.id, "户名不符，银行退回")
    head, row = content.strip().split("\r\n")
    returned = f"{head},状态,银行流水号\r\n{row},成功,S-20261127-01\r\n".encode()
    return claim_id, batch, line, returned


def pool_ids(db):
    with db.sessions() as s:
        return {claim.id for claim in s.scalars(batch_pool.pool_query())}


def pay_steps(db, claim_id):
    with db.sessions() as s:
        return s.scalar(
            select(func.count()).where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "pay")
        )


def test_the_claim_is_held_out_of_the_pool_and_the_import_says_why(db, c):
    claim_id, batch, line, returned = failed_then_paid_by_the_bank(db, c)
    assert claim_id in pool_ids(db)
    result = import_return(db, c.finance, batch.id, "r.csv", returned, PAID_ON)
    assert [r.outcome for r in result.rows] == ["disputed"]
    assert claim_id not in pool_ids(db)
    with db.sessions() as s:
        held = s.get_one(PayoutLine, line.id)
        assert held.status == "failed" and held.awaiting_decision and "S-20261127-01" in held.flag_reason
    again = import_return(db, c.finance, batch.id, "r.csv", returned, PAID_ON)
    assert [r.outcome for r in again.rows] == ["awaiting"]  # the same file again changes nothing


def test_a_line_of_the_claim_in_another_batch_is_held_and_goes_when_the_bank_paid(db, c):
    claim_id = claim_in(db, c, "hr_reviewed").id
    first = batch_pool.create_batch(db, c.finance, [claim_id])
    content = payouts.bank_file(db, c.finance, first.id, "csv").decode("utf-8-sig")
    failed = batch_rows.get_batch(db, first.id).lines[0]
    payouts.mark_failed(db, c.finance, failed.id, "户名不符")
    second = batch_pool.create_batch(db, c.finance, [claim_id])  # re-batched, as the pool allowed
    head, row = content.strip().split("\r\n")
    returned = f"{head},状态,银行流水号\r\n{row},成功,S-1\r\n".encode()
    import_return(db, c.finance, first.id, "r.csv", returned, PAID_ON)
    again = batch_rows.get_batch(db, second.id).lines[0]
    assert again.awaiting_decision and "另一笔明细被银行回单显示已支付" in again.flag_reason
    # The second batch's confirmation leaves the held line alone: no second payment.
    outcomes = payouts.confirm_paid(db, c.finance, second.id, "B2", PAID_ON)
    assert [o.outcome for o in outcomes] == ["flagged"] and pay_steps(db, claim_id) == 0

    decide(db, c.finance, first.id, failed.id, "bank_amount", "已与银行核实，款项已到账", "", PAID_ON)
    with db.sessions() as s:
        paid = s.get_one(PayoutLine, failed.id)
        moved = s.get_one(PayoutLine, again.id)
        assert (paid.status, paid.bank_reference, paid.paid_claim_id) == ("paid", "S-1", claim_id)
        assert moved.status == "failed" and "S-1" in moved.failure_reason
    assert pay_steps(db, claim_id) == 1 and claim_id not in pool_ids(db)
    with pytest.raises(InvalidTransition):
        decide(db, c.finance, first.id, failed.id, "bank_amount", "再次确认", "", PAID_ON)
    assert pay_steps(db, claim_id) == 1


def test_when_the_bank_did_not_pay_the_claim_is_released(db, c):
    claim_id, batch, line, returned = failed_then_paid_by_the_bank(db, c)
    import_return(db, c.finance, batch.id, "r.csv", returned, PAID_ON)
    second = batch_pool.create_batch(db, c.finance, [claim_id]) if claim_id in pool_ids(db) else None
    assert second is None
    decide(db, c.finance, batch.id, line.id, "returned", "银行核实：回单有误，未支付", "", None)
    assert claim_id in pool_ids(db) and pay_steps(db, claim_id) == 0
    with db.sessions() as s:
        assert s.get_one(PayoutLine, line.id).decision == "returned"


def test_a_claim_paid_meanwhile_by_another_line_is_refused_as_a_double_payment(db, c):
    claim_id, batch, line, returned = failed_then_paid_by_the_bank(db, c)
    second = batch_pool.create_batch(db, c.finance, [claim_id])
    payouts.confirm_paid(db, c.finance, second.id, "B2", PAID_ON)  # paid again before the file came
    assert pay_steps(db, claim_id) == 1
    result = import_return(db, c.finance, batch.id, "r.csv", returned, PAID_ON)
    assert [r.outcome for r in result.rows] == ["disputed"]
    with pytest.raises(InvalidTransition) as refused:
        decide(db, c.finance, batch.id, line.id, "bank_amount", "核实", "", PAID_ON)
    assert refused.value.code == "payout.paid_twice" and "追回" in refused.value.message
    assert pay_steps(db, claim_id) == 1
