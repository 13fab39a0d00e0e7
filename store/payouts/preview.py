"""A batch before it is made: the selected claims' payees (names, masked accounts), the amount
per payee and the total, each line with the check (``batch_pool.line_check``) that makes the
batch confirmed from it the batch that was previewed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import selectinload

from workflow.errors import ValidationFailed
from workflow.identity import mask
from workflow.payout_totals import Tally
from workflow.roles import Actor

from ..db import Database
from ..models import Claim
from .batch_pool import line_check, payee_of, pool_query
from .batches import require_finance

PREVIEW_LIMIT = 500  # claims one batch may be previewed with (the pool page lists 200)


@dataclass(frozen=True)
class PreviewLine:
    claim_id: int
    person_name: str  # whom the claim is for
    subsidy_type: str
    payee_key: str  # "person-3", "org-1": one payee however many claims
    payee_name: str  # who is paid: the person, or the claimant organisation
    account_masked: str  # "" when the payee has no bank account
    amount: Decimal
    check: str  # what the line pays, as a keyed digest


@dataclass(frozen=True)
class PreviewPayee:
    name: str
    kind: str  # person or org
    account_masked: str
    lines: int
    amount: Decimal


@dataclass(frozen=True)
class BatchPreview:
    lines: list[PreviewLine]  # what the batch would pay, in claim order
    payees: list[PreviewPayee]
    total: Tally
    not_in_pool: list[int] = field(default_factory=list)  # selected, not approved or already batched
    no_account: list[PreviewLine] = field(default_factory=list)  # the payee has no bank account

    @property
    def checks(self) -> dict[int, str]:
        return {li.claim_id: li.check for li in self.lines}


def preview_batch(db: Database, actor: Actor, claim_ids: Sequence[int]) -> BatchPreview:
    """The batch these claims would make, read now; nothing is written."""
    require_finance(actor)
    wanted = list(dict.fromkeys(claim_ids))
    if not wanted:
        raise ValidationFailed("validation.payout_selection", "请选择要发放的申请")
    if len(wanted) > PREVIEW_LIMIT:
        raise ValidationFailed(
            "validation.payout_selection", f"一个批次最多{PREVIEW_LIMIT}笔，请分批选择", limit=PREVIEW_LIMIT
        )
    with db.transaction() as s:
        claims = list(
            s.scalars(
                pool_query()
                .where(Claim.id.in_(wanted))
                .options(selectinload(Claim.person), selectinload(Claim.claimant))
                .order_by(Claim.id)
            )
        )
        rows = [_line(db, c) for c in claims]
    found = {li.claim_id for li in rows}
    lines = [li for li in rows if li.account_masked]
    total = Tally()
    payees: dict[str, PreviewPayee] = {}
    for li in lines:
        total = total.plus(li.amount)
        was = payees.get(li.payee_key)
        payees[li.payee_key] = PreviewPayee(
            li.payee_name,
            li.payee_key.split("-")[0],
            li.account_masked,
            (was.lines if was else 0) + 1,
            (was.amount if was else Decimal("0.00")) + li.amount,
        )
    return BatchPreview(
        lines=lines,
        payees=list(payees.values()),
        total=total,
        not_in_pool=sorted(set(wanted) - found),
        no_account=[li for li in rows if not li.account_masked],
    )


def _line(db: Database, claim: Claim) -> PreviewLine:
    (kind, holder), enc, _, name = payee_of(claim)
    return PreviewLine(
        claim_id=claim.id,
        person_name=claim.person.name,
        subsidy_type=claim.subsidy_type,
        payee_key=f"{kind}-{holder}",
        payee_name=name,
        account_masked=mask(db.vault.decrypt(enc)) if enc else "",
        amount=claim.amount,
        check=line_check(db, claim),
    )
