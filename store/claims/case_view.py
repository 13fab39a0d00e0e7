"""What staff see of claims and the steps they take on them: the inbox, the case page, evidence,
one step and the same step on many claims. A claim outside a verifier's villages is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow import engine
from workflow.errors import Conflict, DomainError, NotFound, ValidationFailed
from workflow.identity import mask
from workflow.machines import CLAIM, Step
from workflow.review import is_head, may_hold, owed_step, reason_missing
from workflow.roles import Actor, is_county_wide, sees_village
from workflow.rules.years import YearFix
from workflow.states import STATE_LABELS, ClaimState

from ..db import Database
from ..guard_inputs import supply_guard_inputs
from ..models import Claim, ClaimHistory, Evidence, Organisation
from ..policy.versions import ClaimFigures, claim_figures
from ..transitions import transition
from .evidence import evidence_of_claim, list_evidence, read_evidence
from .holding import Assignee, Hold, assignees, hold_of, refuse_if_held
from .tail_search import with_id_tails, with_tails
from .worklist import (
    ContractLine,
    Filters,
    InboxPage,
    InboxRow,
    VillageName,
    claims_inbox,
    contracts_inbox,
    village_names,
)
from .years import year_basis

BULK_MAX = 200  # claims one bulk step takes at most; the rest of a longer selection is left


def visible_claim(session: Session, actor: Actor, claim_id: int) -> Claim:
    """The claim with its person and claimant, if the staff member sees its village."""
    claim = session.scalar(
        select(Claim)
        .where(Claim.id == claim_id)
        .options(selectinload(Claim.person), selectinload(Claim.claimant))
    )
    if claim is None or not sees_village(actor, claim.village_id):
        raise NotFound("not_found.claim", "未找到该申请", id=claim_id)
    return claim


def claim_documents(claim: Claim) -> tuple[str, ...]:
    """The documents a claim may have: its 审批表 always, a 不予批准通知 once it is rejected."""
    if claim.state == ClaimState.REJECTED:
        return ("approval_form", "rejection_notice")
    return ("approval_form",)


def claim_for_staff(db: Database, actor: Actor, claim_id: int) -> Claim:
    with db.transaction() as session:
        return visible_claim(session, actor, claim_id)


@dataclass(frozen=True)
class InboxView:
    page: InboxPage
    rows: list[InboxRow]  # the page's claims, each with its person's name and ID's last digits
    contracts: list[ContractLine]
    villages: dict[int, VillageName]
    now: datetime
    error: str | None  # why the filters were dropped (a search too broad, a damaged cursor)
    assignees: list[Assignee] | None = None  # the head's: the HR reviewers to assign to


def inbox(db: Database, actor: Actor, filters: Filters) -> InboxView:
    now = db.clock.now()
    error = None
    filters = with_tails(db.vault, filters)
    with db.transaction() as session:
        try:
            page = claims_inbox(session, actor, now, filters)
        except DomainError as exc:  # say so, and show everything instead
            error = exc.message
            page = claims_inbox(session, actor, now, Filters())
        return InboxView(
            page,
            with_id_tails(db.vault, page.rows),
            contracts_inbox(session, actor, limit=20),
            village_names(session, actor),
            now,
            error,
            assignees(session) if is_head(actor) else None,
        )


@dataclass(frozen=True)
class CaseView:
    claim: Claim
    claimant: Organisation | None
    id_masked: str
    history: list[ClaimHistory]
    evidence: list[Evidence]
    year_basis: YearFix | None
    figures: ClaimFigures | None
    actions: list[Step]  # buttons on the page
    elsewhere: set[str]  # services through which alone a step is taken (``payout``)
    absorption: Any  # the business's absorbed persons: county staff only
    documents: tuple[str, ...]  # the documents it may have
    now: datetime
    hold: Hold | None = None  # who holds it (认领), if anyone
    may_take: bool = False  # the 认领 button: the actor may hold it and does not yet
    assignees: list[Assignee] | None = None  # the head's choice of whom to assign it to


def case(db: Database, actor: Actor, claim_id: int) -> CaseView:
    now = db.clock.now()
    with db.transaction() as session:
        claim = visible_claim(session, actor, claim_id)
        history = list(
            session.scalars(
                select(ClaimHistory).where(ClaimHistory.claim_id == claim_id).order_by(ClaimHistory.id)
            )
        )
        evidence = list_evidence(session, claim_id)
        claimant = session.get(Organisation, claim.claimant_org_id)
        supply_guard_inputs(session, "claim", claim)  # what the approve button's guards read
        basis = year_basis(session, claim)
        figures = claim_figures(session, claim.params_version_id, claim.subsidy_type)
        hold = hold_of(session, claim, actor)
        head = is_head(actor) and owed_step(CLAIM, claim.state) is not None
        choices = assignees(session, claim) if head else None
    steps = engine.available(CLAIM, claim, actor, now)
    return CaseView(
        claim=claim,
        claimant=claimant,
        id_masked=mask(db.vault.decrypt(claim.person.id_number_enc)),
        history=history,
        evidence=evidence,
        year_basis=basis,
        figures=figures,
        # A step that only a service takes (``pay``: the payout batch) is a link there.
        # Held by someone else: no buttons (the step would be refused, naming the holder).
        actions=[s for s in steps if engine.service_of(s) is None and (hold is None or hold.mine)],
        elsewhere={service for s in steps if (service := engine.service_of(s))},
        # The business's other persons span villages: county staff only, never a verifier.
        absorption=getattr(claim, "absorption", None) if is_county_wide(actor) else None,
        documents=claim_documents(claim),
        now=now,
        hold=hold,
        may_take=(hold is None or not hold.mine) and may_hold(CLAIM, claim, actor),
        assignees=choices,
    )


def evidence_for_staff(
    db: Database, files: Path, actor: Actor, claim_id: int, evidence_id: int
) -> tuple[Evidence, bytes]:
    """A piece of evidence of a claim the staff member sees, with its content."""
    with db.transaction() as session:
        visible_claim(session, actor, claim_id)
        evidence = evidence_of_claim(session, claim_id, evidence_id)
    return evidence, read_evidence(files, evidence)


def take_claim_step(
    db: Database,
    actor: Actor,
    claim_id: int,
    trigger: str,
    comment: str | None = None,
    expected_version: int | None = None,
    attendance_days: str | None = None,
) -> None:
    """A staff member's step on a claim they see (the step is one transaction of its own).
    A claim someone else holds is refused, naming the holder; a lost race names who acted."""
    with db.transaction() as session:
        refuse_if_held(session, actor, visible_claim(session, actor, claim_id))
    try:
        transition(
            db,
            "claim",
            claim_id,
            trigger,
            actor,
            comment=comment,
            expected_version=expected_version,
            attendance_days=attendance_days,
        )
    except Conflict as exc:
        raise who_acted(db, claim_id, exc) from None


def who_acted(db: Database, claim_id: int, exc: Conflict) -> Conflict:
    """The conflict, saying who acted last and when (the claim's last history row)."""
    with db.transaction() as session:
        last = session.scalars(
            select(ClaimHistory).where(ClaimHistory.claim_id == claim_id).order_by(ClaimHistory.id.desc())
        ).first()
    if last is None:
        return exc
    return Conflict(
        exc.code,
        f"该申请已被其他人处理或修改：{last.actor_name}于{last.at:%Y-%m-%d %H:%M}办理，"
        f"现为“{STATE_LABELS.get(last.to_state, last.to_state)}”，请查看最新状态后再操作。",
        **exc.details,
        last_actor=last.actor_name,
        last_at=last.at.isoformat(),
        last_state=last.to_state,
    )


@dataclass(frozen=True)
class StepOutcome:
    claim_id: int
    error: str | None  # why this claim's step was refused; None when it was taken

    @property
    def ok(self) -> bool:
        return self.error is None


def bulk_claim_step(
    db: Database, actor: Actor, claim_ids: list[int], trigger: str, comment: str | None = None
) -> list[StepOutcome]:
    """Many claims, one step: each is taken or refused on its own, with its own outcome. A step
    that needs a reason (return, reject) takes one for all of them, or none is taken."""
    if reason_missing(CLAIM, trigger, actor.roles, comment):
        raise ValidationFailed(
            "validation.reason",
            "退回或不予批准须填写原因（所有选中的申请共用），未办理任何申请",
            field="comment",
        )
    outcomes = []
    for claim_id in claim_ids[:BULK_MAX]:
        try:
            take_claim_step(db, actor, claim_id, trigger, comment)
            outcomes.append(StepOutcome(claim_id, None))
        except DomainError as exc:
            outcomes.append(StepOutcome(claim_id, exc.message))
    return outcomes
