"""Issuing documents: a register number and verification code per PDF, and checking a code."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..docs import KIND_TITLES, Stamp
from ..docs import layout as pdf
from ..identity import sex as sex_of
from ..machines import CLAIM
from ..roles import ROLE_LABELS, Actor
from ..rules.facts import FACT_LABELS
from ..states import (
    DESTINATION_LABELS,
    STATE_LABELS,
    SUBSIDY_LABELS,
    TARGET_GROUP_LABELS,
)
from .db import Database
from .documents_model import Document
from .models import Claim, ClaimHistory, Contract, ContractHistory, Organisation, Person

ISSUER = "德钦县人力资源和社会保障局"
NUMBER_PREFIX = "德人社"
# The character after 德人社 says which register the number belongs to.
KIND_MARKS = {"approval_form": "审", "contract": "协", "renewal_notice": "提",
              "rejection_notice": "驳", "payout_roster": "发"}
SUBJECT_TYPES = {"approval_form": "claim", "contract": "contract", "renewal_notice": "contract",
                 "rejection_notice": "claim", "payout_roster": "payout_batch"}
CODE_BYTES = 10  # 16 base32 characters, 80 random bits
RENEWAL_REPLY_DAYS = 7


@dataclass(frozen=True)
class Issued:
    number: str
    code: str
    sha256: str
    pdf: bytes


@dataclass(frozen=True)
class Verification:
    """What the public page may say: nothing about the person, only about the paper."""

    status: str  # genuine (and current) / superseded / unknown
    kind: str = ""
    number: str = ""
    issued_at: datetime | None = None
    superseded_at: datetime | None = None

    @property
    def genuine(self) -> bool:
        return self.status in ("genuine", "superseded")


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def _next_number(session: Session, kind: str, year: int) -> str:
    prefix = f"{NUMBER_PREFIX}{KIND_MARKS[kind]}〔{year}〕"
    last = session.scalar(select(Document.number).where(Document.number.startswith(prefix))
                          .order_by(Document.number.desc()).limit(1))
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:06d}"


def _reserve(db: Database, actor: Actor, kind: str, subject_id: int) -> Document:
    """A register row with a fresh number and code; retried when a concurrent issue took the number."""
    for attempt in range(5):
        try:
            with db.transaction() as s:
                now = db.clock.now()
                doc = Document(kind=kind, number=_next_number(s, kind, now.year),
                               verification_code=new_code(), subject_type=SUBJECT_TYPES[kind],
                               subject_id=subject_id, issued_at=now, issued_by=actor.user_id)
                s.add(doc)
                s.flush()
                s.expunge(doc)
                return doc
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def issue_document(db: Database, actor: Actor, kind: str, subject_id: int,
                   render: Callable[[Stamp], bytes], base_url: str = "") -> Issued:
    """Number, render and register one document; earlier ones of the same kind for the same
    subject become superseded. Rendering runs outside any transaction (a roster takes seconds)."""
    doc = _reserve(db, actor, kind, subject_id)
    try:
        content = render(Stamp(doc.number, doc.verification_code, base_url))
    except BaseException:
        with db.transaction() as s:
            s.execute(Document.__table__.delete().where(Document.id == doc.id))
        raise
    digest = hashlib.sha256(content).hexdigest()
    with db.transaction() as s:
        s.execute(update(Document).where(Document.id == doc.id).values(content_sha256=digest))
        s.execute(update(Document).where(
            Document.kind == kind, Document.subject_type == doc.subject_type,
            Document.subject_id == subject_id, Document.id != doc.id,
            Document.superseded_at.is_(None)).values(superseded_at=db.clock.now()))
    return Issued(doc.number, doc.verification_code, digest, content)


def verify(db: Database, code: str) -> Verification:
    with db.transaction() as s:
        doc = s.scalar(select(Document).where(
            Document.verification_code == normalise_code(code),
            Document.content_sha256.is_not(None)))
        if doc is None:
            return Verification("unknown")
        return Verification("superseded" if doc.superseded_at else "genuine",
                            KIND_TITLES[doc.kind], doc.number, doc.issued_at, doc.superseded_at)


# --- what each document shows, read from the case -------------------------------------------

def _person(db: Database, p: Person) -> dict[str, Any]:
    id_number = db.vault.decrypt(p.id_number_enc)
    return {"name": p.name, "id_number": id_number, "sex": p.sex or sex_of(id_number),
            "birth_date": p.birth_date, "village": p.village.name,
            "groups": "、".join(TARGET_GROUP_LABELS.get(g, g) for g in sorted(p.target_group_set)),
            "phone": p.phone or "",
            "bank_account": db.vault.decrypt(p.bank_account_enc) if p.bank_account_enc else ""}


def _fact(name: str, value: object) -> tuple[str, str]:
    label = FACT_LABELS.get(name, name)
    if name == "destination":
        return label, DESTINATION_LABELS.get(str(value), str(value))
    if isinstance(value, bool):
        return label, "是" if value else "否"
    return label, str(value)


def _steps(rows: Sequence[ClaimHistory | ContractHistory], workflow: Any) -> list[dict[str, Any]]:
    steps = []
    for h in rows:
        step = workflow.step_for(h.trigger, h.from_state) if h.from_state else None
        label = step.label if step else ("提交申请" if h.trigger == "submit" else h.trigger)
        steps.append({"label": label, "actor": h.actor_name, "role": ROLE_LABELS.get(h.role, h.role),
                      "at": h.at, "comment": h.comment})
    return steps


def approval_form_context(db: Database, claim_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        history = s.scalars(select(ClaimHistory).where(ClaimHistory.claim_id == claim_id)
                            .order_by(ClaimHistory.at, ClaimHistory.id)).all()
        return {
            "issuer": ISSUER,
            "person": _person(db, claim.person),
            "claim": {"ref": f"SQ{claim.policy_year}-{claim.id:06d}",
                      "subsidy": SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
                      "policy_year": claim.policy_year, "claimant": claim.claimant.name,
                      "facts": [_fact(k, v) for k, v in claim.facts.items()],
                      "rule": claim.rule, "rule_explanation": claim.rule_explanation,
                      "amount": claim.amount, "state": STATE_LABELS.get(claim.state, claim.state)},
            "steps": _steps(history, CLAIM),
        }


def contract_context(db: Database, contract_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        c = s.get_one(Contract, contract_id)
        village = c.post.village.name
        return {
            "issuer": ISSUER, "employer": f"{c.post.village.township.name}{village}村民委员会",
            "person": _person(db, c.person),
            "post": {"title": c.post.title, "village": village},
            "term": {"start": c.start_date, "end": c.end_date, "monthly": c.monthly_subsidy,
                     "insurance_no": c.insurance_policy_no},
        }


def renewal_notice_context(db: Database, contract_id: int, today: date | None = None) -> dict[str, Any]:
    context = contract_context(db, contract_id)
    today = today or db.clock.now().date()
    end = context["term"]["end"]
    context.update(days_left=max((end - today).days, 0), issued_on=today,
                   reply_by=min(end, today + timedelta(days=RENEWAL_REPLY_DAYS)))
    return context


def rejection_notice_context(db: Database, claim_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        refusal = s.scalars(select(ClaimHistory).where(
            ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "reject")
            .order_by(ClaimHistory.at.desc(), ClaimHistory.id.desc()).limit(1)).first()
        subsidy = SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type)
        return {
            "issuer": ISSUER, "addressee": claim.claimant.name,
            "applicant_text": f"你单位（人）为{claim.person.name}申请的{claim.policy_year}年度{subsidy}"
                              f"（申请编号 SQ{claim.policy_year}-{claim.id:06d}），",
            "reviewer_role": ROLE_LABELS.get(refusal.role, refusal.role) if refusal else ISSUER,
            "reason": (refusal.comment if refusal and refusal.comment else "不符合补贴条件。"),
            "issued_on": (refusal.at if refusal else db.clock.now()).date(),
        }


def roster_lines(db: Database, claim_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One roster line per claim, the payee as the claim pays it (the person or the claimant)."""
    with db.transaction() as s:
        claims = s.scalars(select(Claim).where(Claim.id.in_(claim_ids)).order_by(Claim.id)).all()
        lines = []
        for c in claims:
            payee: Person | Organisation = c.person if c.payee_kind == "person" else c.claimant
            account = db.vault.decrypt(payee.bank_account_enc) if payee.bank_account_enc else ""
            id_number = (db.vault.decrypt(c.person.id_number_enc) if isinstance(payee, Person)
                         else (payee.credit_code or ""))
            lines.append({"name": payee.name, "id_number": id_number, "bank_account": account,
                          "amount": c.amount, "note": SUBSIDY_LABELS.get(c.subsidy_type, "")})
        return lines


RENDERERS: Mapping[str, Callable[[Mapping[str, Any], Stamp], bytes]] = {
    "approval_form": pdf.approval_form, "contract": pdf.contract,
    "renewal_notice": pdf.renewal_notice, "rejection_notice": pdf.rejection_notice,
}
CONTEXTS: Mapping[str, Callable[[Database, int], dict[str, Any]]] = {
    "approval_form": approval_form_context, "contract": contract_context,
    "renewal_notice": renewal_notice_context, "rejection_notice": rejection_notice_context,
}


def issue(db: Database, actor: Actor, kind: str, subject_id: int, base_url: str = "") -> Issued:
    """Issue a case document (审批表, 协议, 到期提醒, 不予批准通知) for a claim or contract."""
    context = CONTEXTS[kind](db, subject_id)
    return issue_document(db, actor, kind, subject_id,
                          lambda stamp: RENDERERS[kind](context, stamp), base_url)


def issue_roster(db: Database, actor: Actor, batch_id: int, batch_ref: str,
                 lines: Sequence[Mapping[str, Any]], base_url: str = "") -> Issued:
    """Issue a 发放花名册 for a payout batch from its lines (see ``roster_lines``)."""
    return issue_document(db, actor, "payout_roster", batch_id,
                          lambda stamp: pdf.payout_roster(lines, stamp, batch_ref=batch_ref),
                          base_url)
