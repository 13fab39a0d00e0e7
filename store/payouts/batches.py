"""Payout batches: finance turns approved claims into payments, each claim paid exactly once.

Money moves only here: the claim's ``pay`` step is guarded by the batch line it is taken for
(``through_payout_line``), which only ``pay_line`` hands the engine, so no page, inbox button,
API call or plain ``transition`` pays a claim outside a batch. Double payment is refused
three times over: the claim's ``pay`` step only leaves ``hr_reviewed`` once (state);
``payout_line.paid_claim_id`` is UNIQUE (constraint); and each line is confirmed in its own
transaction with the claim's step, so a confirmation that dies half-way is simply run again
(lines already paid are skipped). A line the bank's return file disagrees with waits for
finance's decision (``payout_reconcile``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from workflow.errors import Conflict, InvalidTransition, NotFound, TransitionRefused, ValidationFailed
from workflow.guards import PayoutLineRef
from workflow.identity import mask
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.states import ClaimState

from ..claims.worklist import Filters, apply_filters
from ..db import Database
from ..documents import rosters as documents
from ..models import Claim, Organisation, Person
from ..transitions import apply, conflicts_mapped, opening, record_opening, step_if
from . import bank_files as payout_files
from .models import PayoutBatch, PayoutLine

PAYABLE = ClaimState.HR_REVIEWED.value
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


def pool_query(filters: Filters | None = None) -> Select[Claim]:
    """Approved claims not in an open batch: the pool a batch is made from (failed lines too)."""
    q = select(Claim).where(Claim.state == PAYABLE, ~exists().where(PayoutLine.open_claim_id == Claim.id))
    return apply_filters(q, filters or Filters())


def last_failures(session: Session, claim_ids: Sequence[int]) -> dict[int, str]:
    """Why the bank last returned each of these claims, for those it did."""
    rows = session.execute(
        select(PayoutLine.claim_id, PayoutLine.failure_reason)
        .where(PayoutLine.claim_id.in_(claim_ids), PayoutLine.status == "failed")
        .order_by(PayoutLine.id)
    )
    return {claim_id: reason or "" for claim_id, reason in rows}


def create_batch(
    db: Database, actor: Actor, claim_ids: Sequence[int] | None = None, filters: Filters | None = None
) -> PayoutBatch:
    """A batch of the given approved claims, or of every pooled claim matching ``filters``."""
    require_finance(actor)
    if claim_ids is None and filters is None:
        raise ValidationFailed("validation.payout_selection", "请选择要发放的申请或筛选条件")
    for _ in range(ATTEMPTS):
        try:
            with db.transaction() as s:
                return _create(s, db, actor, claim_ids, filters)
        except IntegrityError:
            continue  # a concurrent batch took a claim or the reference: look again
    raise Conflict("conflict.payout_batch", "有申请同时被其他批次选中，请刷新后重试")


def _create(
    s: Session, db: Database, actor: Actor, claim_ids: Sequence[int] | None, filters: Filters | None
) -> PayoutBatch:
    q = pool_query(filters).options(selectinload(Claim.person), selectinload(Claim.claimant))
    if claim_ids is not None:
        wanted = list(dict.fromkeys(claim_ids))
        claims = list(s.scalars(q.where(Claim.id.in_(wanted)).order_by(Claim.id)))
        refused = sorted(set(wanted) - {c.id for c in claims})
        if refused:
            raise InvalidTransition(
                "payout.not_payable",
                "以下申请不是待发放状态，或已在未结批次中：" + "、".join(map(str, refused)),
                claim_ids=refused,
            )
    else:
        claims = list(s.scalars(q.order_by(Claim.id)))
    if not claims:
        raise ValidationFailed("payout.empty", "没有可发放的申请")
    payees = [_payee(c) for c in claims]
    no_account = [c.id for c, p in zip(claims, payees, strict=True) if p[1] is None]
    if no_account:
        raise ValidationFailed(
            "payout.no_bank_account",
            "以下申请的收款人未登记银行账号：" + "、".join(map(str, no_account)),
            claim_ids=no_account,
        )
    now = db.clock.now()
    opened = opening(db, s, "payout", actor, now)
    batch = PayoutBatch(
        reference=_next_reference(s, now.year),
        **opened.case_values(),
        created_by=actor.user_id,
        created_at=now,
        line_count=len(claims),
        total_amount=sum((c.amount for c in claims), Decimal("0.00")),
        payee_totals={"payees": []},
    )
    for seq, (claim, (_, enc, last4, name)) in enumerate(zip(claims, payees, strict=True), 1):
        assert enc is not None
        batch.lines.append(
            PayoutLine(
                seq=seq,
                claim_id=claim.id,
                open_claim_id=claim.id,
                payee_kind=claim.payee_kind,
                payee_name=name,
                account_enc=enc,
                account_last4=last4 or db.vault.decrypt(enc)[-4:],
                amount=claim.amount,
                status="pending",
                updated_at=now,
            )
        )
    batch.payee_totals = _payee_totals(
        (key, li.payee_name, li.account_last4, li.amount)
        for li, (key, _, _, _) in zip(batch.lines, payees, strict=True)
    )
    s.add(batch)
    s.flush()
    record_opening(s, batch, opened)
    return batch


def _payee(claim: Claim) -> tuple[tuple[str, int], str | None, str | None, str]:
    """Who receives the money: the person, or the claimant organisation (per the subsidy)."""
    holder: Person | Organisation = claim.person if claim.payee_kind == "person" else claim.claimant
    kind = "person" if claim.payee_kind == "person" else "org"
    return (kind, holder.id), holder.bank_account_enc, holder.bank_last4, holder.name


def _next_reference(s: Session, year: int) -> str:
    prefix = f"FK{year}-"
    last = s.scalar(
        select(PayoutBatch.reference)
        .where(PayoutBatch.reference.like(f"{prefix}%"))
        .order_by(func.length(PayoutBatch.reference).desc(), PayoutBatch.reference.desc())
        .limit(1)
    )
    return f"{prefix}{int(last[len(prefix) :]) + 1 if last else 1:04d}"


def get_batch(db: Database, batch_id: int) -> PayoutBatch:
    with db.transaction() as s:
        batch = s.scalar(
            select(PayoutBatch).where(PayoutBatch.id == batch_id).options(selectinload(PayoutBatch.lines))
        )
        if batch is None:
            raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
        return batch


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
        batch.exported_by, batch.exported_at = actor.user_id, db.clock.now()
        reference = batch.reference
    return payout_files.write(rows, fmt, reference)


def batch_row(s: Session, batch_id: int) -> PayoutBatch:
    batch = s.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
    return batch


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
        outcomes.append(_confirm_line(db, actor, batch.reference, line_id, bank_reference, paid_on))
    settle(db, batch_id)
    return outcomes


def _confirm_line(
    db: Database, actor: Actor, batch_ref: str, line_id: int, bank_reference: str, paid_on: date
) -> LineOutcome:
    claim_id = None
    for _ in range(ATTEMPTS):
        try:
            with conflicts_mapped(), db.transaction() as s:
                # Take the line with a conditional UPDATE before reading anything: it locks the
                # row (SQLite: the database), so a concurrent confirmation waits here and then
                # finds the line no longer pending, instead of acting on a stale read. A line
                # the bank's return file disagreed with waits for finance's decision instead.
                took = s.execute(
                    update(PayoutLine)
                    .where(
                        PayoutLine.id == line_id,
                        PayoutLine.status == "pending",
                        PayoutLine.flagged_at.is_(None),
                    )
                    .values(updated_at=db.clock.now())
                    .execution_options(synchronize_session=False)
                )
                line = s.get(PayoutLine, line_id)
                assert line is not None
                claim_id = line.claim_id
                if took.rowcount != 1:  # type: ignore[attr-defined]
                    return _not_taken(line)
                try:
                    pay_line(s, db, actor, line, batch_ref, bank_reference, paid_on, line.amount)
                except TransitionRefused as exc:  # nothing was written yet
                    return LineOutcome(line_id, claim_id, "refused", exc.code, exc.message)
                s.flush()
            return LineOutcome(line_id, claim_id, "paid")
        except (Conflict, IntegrityError):
            continue  # someone else took this line meanwhile: read it again
    return LineOutcome(line_id, claim_id, "conflict", "conflict.stale", "该笔正在被他人处理，请稍后重试")


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
    """The claim's ``pay`` step for a pending line the caller has taken in this transaction:
    the only place that hands the step the payout line its guard asks for."""
    claim = s.get_one(Claim, line.claim_id)
    ref = PayoutLineRef(line.id, line.claim_id, batch_ref, bank_reference)
    apply(
        s,
        db,
        "claim",
        claim,
        "pay",
        actor,
        payout_line=ref,
        comment=f"{batch_ref} 第{line.seq}笔，银行流水号 {bank_reference}{note}",
    )
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
    reason = (reason or "").strip()
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
    batch.payee_totals = _payee_totals(
        (
            ("person", person) if li.payee_kind == "person" else ("org", org),
            li.payee_name,
            li.account_last4,
            li.amount,
        )
        for li, person, org in rows
    )


def _payee_totals(rows: Iterable[tuple[tuple[str, int], str, str, Decimal]]) -> dict[str, Any]:
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
