"""A line the bank's return file disagrees with, held (``flag_line``), and finance's decision on it.

Nothing is corrected silently: a pending line whose amount the bank reports differently (80
paid where 800 was due) is flagged and left out of every confirmation until finance decides,
by name and with a reason, either to accept what the bank paid (the difference is handled
outside this batch) or to take the line out and return the claim to the pool. The file
itself is read and applied in ``return_import``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.errors import InvalidTransition, NotFound, ValidationFailed
from workflow.roles import Actor

from ..db import Database
from ..models import User
from ..transitions import conflicts_mapped
from . import bank_files as payout_files
from .batches import fail_line, pay_line, require_finance, settle
from .disputes import decide_disputed, take_decision
from .models import DECISIONS, PayoutLine

DECISION_LABELS = {"bank_amount": "按银行实付确认，差额另行处理", "returned": "退回待发放"}


def flag_line(db: Database, line: PayoutLine, row: payout_files.ReturnRow) -> bool:
    """Hold a still pending, undecided line for finance's decision (a line confirmed
    meanwhile is left as it is: the conditional UPDATE sees it is no longer pending)."""
    found = "无法识别" if row.amount is None else f"{row.amount:.2f} 元"
    reason = f"银行回单第{row.row}行金额 {found}，应付 {line.amount:.2f} 元"
    with conflicts_mapped(), db.transaction() as s:
        took = s.execute(
            update(PayoutLine)
            .where(
                PayoutLine.id == line.id,
                PayoutLine.status == "pending",
                PayoutLine.decided_at.is_(None),
            )
            .values(
                flagged_at=db.clock.now(),
                flag_reason=reason,
                bank_amount=row.amount,
                bank_serial=row.bank_serial or None,
                updated_at=db.clock.now(),
            )
            .execution_options(synchronize_session=False)
        )
    return bool(took.rowcount == 1)  # type: ignore[attr-defined]


def decide(
    db: Database,
    actor: Actor,
    batch_id: int,
    line_id: int,
    decision: str,
    note: str,
    bank_reference: str = "",
    paid_on: date | None = None,
) -> PayoutLine:
    """Finance's decision on a flagged line, recorded with who decided, when and why."""
    require_finance(actor)
    if decision not in DECISIONS:
        raise ValidationFailed(
            "validation.decision", "请选择处理方式：按银行实付确认或退回待发放", field="decision"
        )
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("validation.required", "请填写处理意见（如与银行核实的情况）", field="note")
    now = db.clock.now()
    decided = {"decision": decision, "decision_note": note, "decided_by": actor.user_id, "decided_at": now}
    with conflicts_mapped(), db.transaction() as s:
        line = s.get(PayoutLine, line_id)
        if line is None or line.batch_id != batch_id:
            raise NotFound("not_found.payout_line", "未找到该发放明细", id=line_id)
        if not line.awaiting_decision:
            raise InvalidTransition("payout.line_not_flagged", "该笔没有待处理的对账差异，或已处理")
        if line.status == "failed":  # failed here, paid says the bank
            decide_disputed(s, db, actor, line, decision, bank_reference, paid_on, decided)
        elif decision == "returned":
            fail_line(s, db, actor, line_id, f"对账不符（{line.flag_reason}），退回待发放：{note}", **decided)
        else:
            _accept_bank_amount(s, db, actor, line, bank_reference, paid_on, decided)
    settle(db, batch_id)
    with db.transaction() as s:
        return s.get_one(PayoutLine, line_id)


def _accept_bank_amount(
    s: Session,
    db: Database,
    actor: Actor,
    line: PayoutLine,
    bank_reference: str,
    paid_on: date | None,
    decided: dict[str, Any],
) -> None:
    paid = line.bank_amount
    if paid is None or paid <= 0:
        raise InvalidTransition(
            "payout.bank_amount_unusable", "银行回单金额为零或无法识别，不能按实付确认，只能退回待发放"
        )
    if paid > line.amount:  # more than was approved is never confirmed as this claim's payment
        raise InvalidTransition(
            "payout.bank_paid_more",
            f"银行回单金额 {paid:.2f} 元多于应付 {line.amount:.2f} 元，不能按实付确认；"
            "请与银行核实追回多付款项，并将该笔退回待发放",
        )
    bank_reference = (bank_reference or line.bank_serial or "").strip()
    if not bank_reference:
        raise ValidationFailed("validation.required", "请填写银行流水号", field="bank_reference")
    if paid_on is None:
        raise ValidationFailed("validation.required", "请填写发放日期", field="paid_on")
    take_decision(s, line, "pending", decided)
    difference = line.amount - paid
    pay_line(
        s,
        db,
        actor,
        line,
        line.batch.reference,
        bank_reference,
        paid_on,
        paid,
        note=f"；对账不符，按银行实付 {paid:.2f} 元确认，差额 {difference:.2f} 元另行处理"
        f"（{decided['decision_note']}）",
    )


def decider_names(db: Database, user_ids: set[int]) -> dict[int, str]:
    """Who decided, as the batch page names them."""
    if not user_ids:
        return {}
    with db.transaction() as s:
        return dict(s.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
