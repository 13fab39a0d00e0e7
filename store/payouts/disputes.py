"""A line marked failed that the bank's return file says it paid: the money may have left.

Its claim went back to the pool when the line failed, so a new batch would pay it again. The
contradiction therefore holds the claim: the failed line is flagged (``dispute``), the claim
leaves the pool (``batch_pool.pool_query``), and a line of it already in another batch is held
too, never confirmed meanwhile. Finance then decides, after checking with the bank, with the
same two buttons as for an amount the bank reported differently (``returns.decide``):

- the bank did pay (``bank_amount``): the failed line becomes the claim's payment, with the
  bank's serial and amount (never more than was due); the claim's line in another batch, if
  any, is taken out with the reason. A claim paid meanwhile by another line is refused: two
  payments left the bank, and the excess is recovered outside Fuzhi;
- the bank did not pay (``returned``): the flag is lifted, the claim is in the pool again and
  its held line elsewhere is released.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.errors import InvalidTransition, ValidationFailed
from workflow.roles import Actor

from ..db import Database
from ..documents import rosters as documents
from ..transitions import conflicts_mapped
from .bank_files import ReturnRow
from .batches import fail_line, pay_line
from .control_totals import refresh_totals
from .models import PayoutBatch, PayoutLine

HELD = "同一申请的另一笔明细被银行回单显示已支付"


def dispute(db: Database, line: PayoutLine, row: ReturnRow) -> bool:
    """Flag a failed line the bank says it paid, and hold its claim's open line elsewhere.
    False if it was flagged already (the same file imported again)."""
    paid = "无法识别" if row.amount is None else f"{row.amount:.2f} 元"
    reason = (
        f"银行回单第{row.row}行显示已支付（流水号 {row.bank_serial or '无'}，金额 {paid}），"
        "但该笔此前已标记发放失败：该申请暂停发放，待与银行核实后处理，避免重复发放"
    )
    now = db.clock.now()
    with conflicts_mapped(), db.transaction() as s:
        took = s.execute(
            update(PayoutLine)
            .where(
                PayoutLine.id == line.id,
                PayoutLine.status == "failed",
                PayoutLine.flagged_at.is_(None),
                PayoutLine.decided_at.is_(None),
            )
            .values(
                flagged_at=now,
                flag_reason=reason,
                bank_amount=row.amount,
                bank_serial=row.bank_serial or None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if took.rowcount != 1:  # type: ignore[attr-defined]
            return False
        where = s.scalar(select(PayoutBatch.reference).where(PayoutBatch.id == line.batch_id))
        s.execute(
            update(PayoutLine)
            .where(
                PayoutLine.open_claim_id == line.claim_id,
                PayoutLine.flagged_at.is_(None),
                PayoutLine.decided_at.is_(None),
            )
            .values(flagged_at=now, flag_reason=f"{HELD}（{where} 第{line.seq}笔），待核实", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return True


def take_decision(s: Session, line: PayoutLine, status: str, decided: dict[str, Any]) -> None:
    """Record the decision on a line still ``status`` and undecided, taken like a confirmation:
    a second decision, or a race with one, finds it decided."""
    took = s.execute(
        update(PayoutLine)
        .where(PayoutLine.id == line.id, PayoutLine.status == status, PayoutLine.decided_at.is_(None))
        .values(**decided)
        .execution_options(synchronize_session=False)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition("payout.line_not_flagged", "该笔没有待处理的对账差异，或已处理")
    s.refresh(line)


def decide_disputed(
    s: Session,
    db: Database,
    actor: Actor,
    line: PayoutLine,
    decision: str,
    bank_reference: str,
    paid_on: date | None,
    decided: dict[str, Any],
) -> None:
    """Finance's decision on a disputed failed line, in the caller's transaction."""
    take_decision(s, line, "failed", decided)
    held = s.scalars(select(PayoutLine).where(PayoutLine.open_claim_id == line.claim_id)).first()
    if decision == "returned":  # the bank did not pay: the claim may be paid again
        if held is not None and held.flag_reason and held.flag_reason.startswith(HELD):
            held.flagged_at, held.flag_reason, held.updated_at = None, None, db.clock.now()
        return
    paid_elsewhere = s.scalar(select(PayoutLine.id).where(PayoutLine.paid_claim_id == line.claim_id))
    if paid_elsewhere is not None:
        raise InvalidTransition(
            "payout.paid_twice",
            "该申请已由另一笔明细确认发放：银行两次付款，请与银行核实并追回多付款项，本笔不再确认",
        )
    amount = line.bank_amount
    if amount is None or amount <= 0 or amount > line.amount:
        raise InvalidTransition(
            "payout.bank_amount_unusable",
            f"银行回单金额无法识别或多于应付 {line.amount:.2f} 元，不能确认；请与银行核实",
        )
    reference = (bank_reference or line.bank_serial or "").strip()
    if not reference:
        raise ValidationFailed("validation.required", "请填写银行流水号", field="bank_reference")
    if paid_on is None:
        raise ValidationFailed("validation.required", "请填写发放日期", field="paid_on")
    if held is not None:  # its line in another batch goes: the bank paid this one
        fail_line(
            s, db, actor, held.id, f"已由发放失败后经银行核实已支付的明细确认发放（流水号 {reference}）"
        )
    # The failed line becomes the payment: pending for the step that pays it, in this transaction.
    line.status, line.open_claim_id = "pending", line.claim_id
    s.flush()
    pay_line(
        s,
        db,
        actor,
        line,
        line.batch.reference,
        reference,
        paid_on,
        amount,
        note=f"；此前标记发放失败，经与银行核实已支付（{decided['decision_note']}）",
    )
    refresh_totals(s, line.batch_id)  # the batch pays this line after all: its totals follow
    documents.supersede_rosters(s, line.batch_id, db.clock.now())
