"""What an agent reads of its organisation's claims and their evidence, and the steps it takes on
them. Another organisation's claim is not found, whatever is asked of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from workflow.errors import ValidationFailed
from workflow.guards import ABSORPTION_TYPES, Absorption
from workflow.roles import Actor

from ..db import Database
from ..guard_inputs import absorption_of
from ..models import Claim, ClaimHistory, Evidence
from ..people.reach import PersonRef
from ..transitions import transition
from .evidence import evidence_of_claim, list_evidence, owned_claim, read_evidence
from .filer import file_for
from .filing import ClaimInput, resubmit_claim


@dataclass(frozen=True)
class AgentClaim:
    claim: Claim  # with its person
    history: list[ClaimHistory] | None  # only in the detail
    evidence_count: int | None  # only in the detail
    absorption: Absorption | None  # for the subsidies that count absorbed persons


@dataclass(frozen=True)
class ClaimFilter:
    state: str | None = None
    subsidy_type: str | None = None
    year: int | None = None
    batch: str | None = None
    before_id: int | None = None  # the page after the claim with this id


_HISTORY = (  # built once
    select(ClaimHistory).where(ClaimHistory.claim_id == bindparam("claim")).order_by(ClaimHistory.id)
)


def _record(session: Session, claim: Claim, detail: bool) -> AgentClaim:
    """The claim as its agent reads it."""
    history = evidence = None
    if detail:
        history = list(session.scalars(_HISTORY, {"claim": claim.id}))
        evidence = (
            session.scalar(select(func.count()).select_from(Evidence).where(Evidence.claim_id == claim.id))
            or 0
        )
    absorption = (
        absorption_of(
            session, claim.claimant_org_id, claim.subsidy_type, claim.policy_year, claim.params_version_id
        )
        if claim.subsidy_type in ABSORPTION_TYPES
        else None
    )
    assert claim.person is not None  # loaded now: the view reads it after the session
    return AgentClaim(claim, history, evidence, absorption)


def claim_detail(db: Database, actor: Actor, claim_id: int) -> AgentClaim:
    with db.transaction() as session:
        return _record(session, owned_claim(session, actor, claim_id), detail=True)


def claims(db: Database, actor: Actor, f: ClaimFilter, limit: int) -> tuple[list[AgentClaim], bool]:
    """A page of the organisation's claims, newest first; and whether there are more."""
    q = select(Claim).where(Claim.claimant_org_id == actor.org_id)
    if f.state is not None:
        q = q.where(Claim.state == f.state)
    if f.subsidy_type is not None:
        q = q.where(Claim.subsidy_type == f.subsidy_type)
    if f.year is not None:
        q = q.where(Claim.policy_year == f.year)
    if f.batch is not None:
        q = q.where(Claim.batch_ref == f.batch)
    if f.before_id is not None:
        q = q.where(Claim.id < f.before_id)
    with db.transaction() as session:
        rows = list(session.scalars(q.order_by(Claim.id.desc()).limit(limit + 1)))
        return [_record(session, c, detail=False) for c in rows[:limit]], len(rows) > limit


def file_and_read(
    db: Database,
    actor: Actor,
    ref: PersonRef,
    claim_for: Callable[[int], ClaimInput],
    committed: Callable[[Session, int], None] | None = None,
) -> AgentClaim:
    """File a claim for the person the agent names; the claim as the agent now reads it, read
    in the same transaction (what was just written is at hand). ``committed`` is called last in
    that transaction with the claim's id (an Idempotency-Key notes it there)."""
    if (ref.person_id is None) == (ref.id_number is None):
        raise ValidationFailed(
            "validation.person_ref",
            "请填写 person_id（本单位登记或申报过的人员）或 id_number（身份证号）其中之一",
            field="person_id",
        )
    with db.transaction() as session:
        claim, entry = file_for(
            session, db, actor, claim_for, person_id=ref.person_id, id_number=ref.id_number
        )
        absorption = (
            absorption_of(
                session, claim.claimant_org_id, claim.subsidy_type, claim.policy_year, claim.params_version_id
            )
            if claim.subsidy_type in ABSORPTION_TYPES
            else None
        )
        if committed is not None:
            committed(session, claim.id)
        return AgentClaim(claim, [entry], 0, absorption)


def withdraw(
    db: Database,
    actor: Actor,
    claim_id: int,
    comment: str | None,
    expected_version: int | None,
    committed: Callable[[Any, int], None] | None = None,
) -> AgentClaim:
    """``committed``: called in the step's transaction (an Idempotency-Key notes it there)."""
    with db.transaction() as session:  # another's claim is not found, whatever its version
        owned_claim(session, actor, claim_id)
    transition(
        db,
        "claim",
        claim_id,
        "withdraw",
        actor,
        comment=comment,
        expected_version=expected_version,
        committed=committed,
    )
    return claim_detail(db, actor, claim_id)


def resubmit(
    db: Database,
    actor: Actor,
    claim_id: int,
    facts: dict[str, Any] | None,
    expected_version: int | None,
    committed: Callable[[Any, int], None] | None = None,
) -> AgentClaim:
    """Correct a returned claim's facts and submit it again."""
    with db.transaction() as session:  # another's claim is not found, whatever its version
        owned_claim(session, actor, claim_id)
    resubmit_claim(db, actor, claim_id, facts, expected_version, committed)
    return claim_detail(db, actor, claim_id)


def evidence_of(db: Database, actor: Actor, claim_id: int) -> list[Evidence]:
    with db.transaction() as session:
        owned_claim(session, actor, claim_id)
        return list_evidence(session, claim_id)


def evidence_file(
    db: Database, files: Path, actor: Actor, claim_id: int, evidence_id: int
) -> tuple[Evidence, bytes]:
    with db.transaction() as session:
        owned_claim(session, actor, claim_id)
        evidence = evidence_of_claim(session, claim_id, evidence_id)
    return evidence, read_evidence(files, evidence)
