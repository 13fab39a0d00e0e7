"""The pool of approved claims not yet in an open batch, and a new batch made from it: its
lines, payees and control totals. A claim sits in one open batch at the most
(``payout_line.open_claim_id`` is UNIQUE): a batch that loses a claim or its reference to a
concurrent one looks again. A batch made from a preview (``preview``) is made only if every
line still pays what the preview showed (``line_check``); otherwise nothing is made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from workflow.errors import Conflict, InvalidTransition, ValidationFailed
from workflow.roles import Actor
from workflow.states import ClaimState

from ..claims.worklist import Filters, apply_filters
from ..db import Database
from ..models import Claim, Organisation, Person
from ..opening import opening, record_opening
from .batches import ATTEMPTS, require_finance
from .control_totals import payee_totals
from .models import PayoutBatch, PayoutLine

PAYABLE = ClaimState.HR_REVIEWED.value


def pool_query(filters: Filters | None = None) -> Select[Claim]:
    """Approved claims not in an open batch: the pool a batch is made from (failed lines too)."""
    # A claim whose failed line the bank says it paid waits for finance's check (``disputes``).
    disputed = exists().where(
        PayoutLine.claim_id == Claim.id,
        PayoutLine.status == "failed",
        PayoutLine.flagged_at.is_not(None),
        PayoutLine.decided_at.is_(None),
    )
    q = select(Claim).where(
        Claim.state == PAYABLE, ~exists().where(PayoutLine.open_claim_id == Claim.id), ~disputed
    )
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
    db: Database,
    actor: Actor,
    claim_ids: Sequence[int] | None = None,
    filters: Filters | None = None,
    previewed: Mapping[int, str] | None = None,
) -> PayoutBatch:
    """A batch of the given approved claims, or of every pooled claim matching ``filters``, or
    of the claims a preview showed (``previewed``: claim id → its ``line_check``), refused with
    ``payout.pool_changed`` when any of them left the pool or would pay otherwise."""
    require_finance(actor)
    if previewed is not None:
        claim_ids = list(previewed)
    if claim_ids is None and filters is None:
        raise ValidationFailed("validation.payout_selection", "请选择要发放的申请或筛选条件")
    for _ in range(ATTEMPTS):
        try:
            with db.transaction() as s:
                return _create(s, db, actor, claim_ids, filters, previewed)
        except IntegrityError:
            continue  # a concurrent batch took a claim or the reference: look again
    raise Conflict("conflict.payout_batch", "有申请同时被其他批次选中，请刷新后重试")


def _create(
    s: Session,
    db: Database,
    actor: Actor,
    claim_ids: Sequence[int] | None,
    filters: Filters | None,
    previewed: Mapping[int, str] | None,
) -> PayoutBatch:
    q = pool_query(filters).options(selectinload(Claim.person), selectinload(Claim.claimant))
    if claim_ids is not None:
        wanted = list(dict.fromkeys(claim_ids))
        claims = list(s.scalars(q.where(Claim.id.in_(wanted)).order_by(Claim.id)))
        if previewed is not None:
            _as_previewed(db, claims, previewed)
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
    payees = [payee_of(c) for c in claims]
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
    batch.payee_totals = payee_totals(
        (key, li.payee_name, li.account_last4, li.amount)
        for li, (key, _, _, _) in zip(batch.lines, payees, strict=True)
    )
    s.add(batch)
    s.flush()
    record_opening(s, batch, opened)
    return batch


def _as_previewed(db: Database, claims: Sequence[Claim], previewed: Mapping[int, str]) -> None:
    """Refuse, changing nothing, a batch that would not be the one previewed."""
    found = {c.id: line_check(db, c) for c in claims}
    gone = [i for i in previewed if i not in found]
    changed = [i for i in previewed if i in found and found[i] != previewed[i]]
    if gone or changed:
        parts = [f"已不在待发放池：{'、'.join(map(str, gone))}" if gone else ""]
        parts.append(f"收款人、账号或金额有变化：{'、'.join(map(str, changed))}" if changed else "")
        raise Conflict(
            "payout.pool_changed",
            "预览之后待发放的申请有变化，批次未生成（"
            + "；".join(p for p in parts if p)
            + "）。请核对新的预览后再确认。",
            gone=gone,
            changed=changed,
        )


def line_check(db: Database, claim: Claim) -> str:
    """What a line would pay, as a keyed digest: the claim, its amount, the payee and the
    payee's account (in full: a changed account changes it; the digest reveals nothing)."""
    (kind, holder), enc, _, name = payee_of(claim)
    account = db.vault.decrypt(enc) if enc else "-"
    fields = ("payout-line", str(claim.id), f"{claim.amount:.2f}", kind, str(holder), name, account)
    return db.vault.digest("|".join(fields))[:24]


def payee_of(claim: Claim) -> tuple[tuple[str, int], str | None, str | None, str]:
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
