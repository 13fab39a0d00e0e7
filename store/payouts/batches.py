"""A payout batch's steps: the bank file (export), confirming lines paid, a failed line, and
settling and closing the batch; each claim paid exactly once. A batch is made from the pool
of approved claims (``batch_pool``).

Money moves only here: the claim's ``pay`` step is guarded by the batch line it is taken for
(``through_payout_line``), which only this module hands the engine (a line confirmed, or
finance's decision on a flagged one: ``confirm_line``, ``pay_line``), so no page, inbox button,
API call or plain ``transition`` pays a claim outside a batch. Double payment is refused
three times over: the claim's ``pay`` step only leaves ``hr_reviewed`` once (state);
``payout_line.paid_claim_id`` is UNIQUE (constraint); and each line is confirmed in its own
transaction with the claim's step, so a confirmation that dies half-way is simply run again
(lines already paid are skipped). A line the bank's return file disagrees with waits for
finance's decision (``payout_reconcile``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.errors import Conflict, InvalidTransition, NotFound, TransitionRefused, ValidationFailed
from workflow.guards import PayoutLineRef
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.text_input import checked_text

from ..audit.events import unmasked
from ..db import Database
from ..documents import rosters as documents
from ..transitions import apply, conflicts_mapped, step_if, step_in
from . import bank_files as payout_files
from .batch_rows import batch_row
from .control_totals import refresh_totals
from .models import PayoutBatch, PayoutLine

ATTEMPTS = 3


@dataclass(frozen=True)
class LineOutcome:
    """What a confirmation did to one line: ``paid``, ``already_paid``, ``refused`` (the
    claim's step was refused: ``code`` says why, e.g. separation of duties), ``not_pending``
    (the line failed earlier), ``flagged`` (the bank's return file disagreed: it waits for
    finance's decision), ``not_in_batch`` or ``conflict`` (retry)."""

    line_id: int
    claim_id: int | None
    outcome: str
    code: str | None = None
    message: str | None = None


def require_finance(actor: Actor) -> None:
    if Role.FINANCE not in actor.roles:
        raise TransitionRefused("transition.not_your_role", "发放须由财务人员办理")


def bank_file(db: Database, actor: Actor, batch_id: int, fmt: str) -> bytes:
    """The bank file of the batch's pending lines, with full account numbers."""
    require_finance(actor)
    if fmt not in payout_files.FORMATS:
        raise ValidationFailed("validation.format", "银行文件格式只能是 xlsx 或 csv", field="fmt")
    with db.transaction() as s:
        batch = batch_row(s, batch_id)
        if batch.state not in ("open", "exported"):
            raise InvalidTransition("payout.batch_settled", "该批次已确认或关闭，不能再导出银行文件")
        lines = s.scalars(
            select(PayoutLine)
            .where(PayoutLine.batch_id == batch_id, PayoutLine.status == "pending")
            .order_by(PayoutLine.seq)
        ).all()
        if not lines:
            raise ValidationFailed("payout.nothing_to_export", "该批次没有待发放的明细")
        rows = [
            payout_files.BankRow(
                li.seq, li.payee_name, db.vault.decrypt(li.account_enc), li.amount, str(li.claim_id)
            )
            for li in lines
        ]
        apply(s, db, "payout", batch, "export", actor)
        unmasked(s, db, actor, "bank_account", ("payout_batch", batch_id), len(rows))
        batch.exported_by, batch.exported_at = actor.user_id, db.clock.now()
        reference = batch.reference
    return payout_files.write(rows, fmt, reference)


def confirm_paid(
    db: Database,
    actor: Actor,
    batch_id: int,
    bank_reference: str,
    paid_on: date,
    line_ids: Sequence[int] | None = None,
) -> list[LineOutcome]:
    """Confirm the batch's lines (or the given ones) as paid: each line in its own transaction
    with its claim's ``pay`` step. Safe to run again after a crash: paid lines are skipped."""
    require_finance(actor)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise ValidationFailed("validation.required", "请填写银行流水号", field="bank_reference")
    with db.transaction() as s:
        batch = batch_row(s, batch_id)
        if batch.state == "closed":
            raise InvalidTransition("payout.batch_closed", "该批次已关闭")
        in_batch = dict(
            s.execute(
                select(PayoutLine.id, PayoutLine.claim_id)
                .where(PayoutLine.batch_id == batch_id)
                .order_by(PayoutLine.seq)
            ).all()
        )
    wanted = list(in_batch) if line_ids is None else list(dict.fromkeys(line_ids))
    outcomes = []
    for line_id in wanted:
        if line_id not in in_batch:
            outcomes.append(
                LineOutcome(line_id, None, "not_in_batch", "payout.not_in_batch", "该明细不属于此批次")
            )
            continue
        outcomes.append(confirm_line(db, actor, batch.reference, line_id, bank_reference, paid_on))
    settle(db, batch_id)
    return outcomes


_LINES = PayoutLine.__table__
# Take a pending line the bank's return file did not flag and mark it paid, in one statement
# before anything is read: it locks the row (SQLite: the database), so a concurrent
# confirmation waits here and then finds the line no longer pending instead of acting on a
# stale read. If the claim's pay step is then refused, the transaction undoes it. Built once.
_TAKE_AND_PAY = (
    update(_LINES)
    .where(_LINES.c.id == bindparam("line"), _LINES.c.status == "pending", _LINES.c.flagged_at.is_(None))
    .values(
        status="paid",
        open_claim_id=None,
        paid_claim_id=_LINES.c.claim_id,
        paid_amount=_LINES.c.amount,
        bank_reference=bindparam("b_reference"),
        paid_on=bindparam("b_paid_on"),
        paid_by=bindparam("b_paid_by"),
        updated_at=bindparam("b_now"),
    )
    .returning(_LINES.c.claim_id, _LINES.c.seq)
)


class _Undone(Exception):
    """The line was taken but its claim's step refused: roll back, answer ``outcome``."""

    def __init__(self, outcome: LineOutcome) -> None:
        super().__init__(outcome.code)
        self.outcome = outcome


def confirm_line(
    db: Database, actor: Actor, batch_ref: str, line_id: int, bank_reference: str, paid_on: date
) -> LineOutcome:
    claim_id = None
    values = {
        "line": line_id,
        "b_reference": bank_reference,
        "b_paid_on": paid_on,
        "b_paid_by": actor.user_id,
    }
    for _ in range(ATTEMPTS):
        try:
            with conflicts_mapped(), db.transaction() as s:
                conn = s.connection()
                took = conn.execute(_TAKE_AND_PAY, {**values, "b_now": db.clock.now()}).first()
                if took is None:
                    line = s.get(PayoutLine, line_id)
                    assert line is not None
                    return _not_taken(line)
                claim_id = took.claim_id
                try:
                    step_in(
                        db,
                        conn,
                        "claim",
                        claim_id,
                        "pay",
                        actor,
                        _pay_comment(batch_ref, took.seq, bank_reference),
                        PayoutLineRef(line_id, claim_id, batch_ref, bank_reference),
                    )
                except TransitionRefused as exc:
                    raise _Undone(LineOutcome(line_id, claim_id, "refused", exc.code, exc.message)) from None
            return LineOutcome(line_id, claim_id, "paid")
        except _Undone as undone:
            return undone.outcome
        except (Conflict, IntegrityError):
            continue  # someone else took this line meanwhile: read it again
    return LineOutcome(line_id, claim_id, "conflict", "conflict.stale", "该笔正在被他人处理，请稍后重试")


def _pay_comment(batch_ref: str, seq: int, bank_reference: str) -> str:
    return f"{batch_ref} 第{seq}笔，银行流水号 {bank_reference}"


def _not_taken(line: PayoutLine) -> LineOutcome:
    if line.status == "paid":
        return LineOutcome(line.id, line.claim_id, "already_paid")
    if line.status == "pending":
        return LineOutcome(
            line.id,
            line.claim_id,
            "flagged",
            "payout.line_flagged",
            f"银行回单与该笔不符（{line.flag_reason}），须先在批次页作出处理决定",
        )
    return LineOutcome(line.id, line.claim_id, "not_pending", "payout.line_failed", line.failure_reason)


def pay_line(
    s: Session,
    db: Database,
    actor: Actor,
    line: PayoutLine,
    batch_ref: str,
    bank_reference: str,
    paid_on: date,
    paid_amount: Decimal,
    note: str = "",
) -> None:
    """The claim's ``pay`` step for a pending line the caller has taken in this transaction (a
    decision on a flagged line); with ``confirm_line``, the only places that hand the step the
    payout line its guard asks for."""
    ref = PayoutLineRef(line.id, line.claim_id, batch_ref, bank_reference)
    comment = _pay_comment(batch_ref, line.seq, bank_reference) + note
    step_in(db, s.connection(), "claim", line.claim_id, "pay", actor, comment, ref)
    _mark_paid(line, actor, bank_reference, paid_on, paid_amount, db)


def _mark_paid(
    line: PayoutLine, actor: Actor, bank_reference: str, paid_on: date, paid_amount: Decimal, db: Database
) -> None:
    line.status, line.open_claim_id, line.paid_claim_id = "paid", None, line.claim_id
    line.bank_reference, line.paid_on, line.paid_by = bank_reference, paid_on, actor.user_id
    line.paid_amount, line.updated_at = paid_amount, db.clock.now()


def mark_failed(db: Database, actor: Actor, line_id: int, reason: str) -> PayoutLine:
    """The bank returned this line: it leaves the batch, and its claim returns to the pool."""
    require_finance(actor)
    reason = checked_text(reason, "reason", "失败原因")
    if not reason:
        raise ValidationFailed("validation.required", "请填写失败原因", field="reason")
    with conflicts_mapped(), db.transaction() as s:
        line = fail_line(s, db, actor, line_id, reason)
    settle(db, line.batch_id)
    return line


def fail_line(
    s: Session, db: Database, actor: Actor, line_id: int, reason: str, **decided: Any
) -> PayoutLine:
    """Take a pending line out of its batch in the caller's transaction: the batch's totals
    follow, and its printed rosters no longer match (superseded; the page makes a new one)."""
    now = db.clock.now()
    # Conditional, like a confirmation: a line paid meanwhile is not turned into a failure.
    took = s.execute(
        update(PayoutLine)
        .where(
            PayoutLine.id == line_id,
            PayoutLine.status == "pending",
        )
        .values(
            status="failed",
            open_claim_id=None,
            failure_reason=reason,
            failed_by=actor.user_id,
            updated_at=now,
            **decided,
        )
        .execution_options(synchronize_session=False)
    )
    line = s.get(PayoutLine, line_id)
    if line is None:
        raise NotFound("not_found.payout_line", "未找到该发放明细", id=line_id)
    if took.rowcount != 1:  # type: ignore[attr-defined]
        if line.status == "paid":
            raise InvalidTransition("payout.line_paid", "该笔已确认发放，不能标记为失败")
        raise InvalidTransition("payout.line_failed", "该笔已标记为发放失败")
    s.refresh(line)
    refresh_totals(s, line.batch_id)
    documents.supersede_rosters(s, line.batch_id, now)
    return line


def settle(db: Database, batch_id: int) -> None:
    """A batch with no pending line left is confirmed (one statement: safe when concurrent)."""
    with db.transaction() as s:
        no_pending = ~exists().where(PayoutLine.batch_id == batch_id, PayoutLine.status == "pending")
        step_if(db, s, "payout", batch_id, "confirm", SYSTEM_ACTOR, no_pending)


def close_batch(db: Database, actor: Actor, batch_id: int) -> PayoutBatch:
    require_finance(actor)
    with db.transaction() as s:
        batch = batch_row(s, batch_id)
        if batch.state != "confirmed":
            raise InvalidTransition("payout.batch_not_confirmed", "批次内还有未确认的明细，不能关闭")
        apply(s, db, "payout", batch, "close", actor)
        batch.closed_at = db.clock.now()
    return batch
