"""Issuing documents: a register number and verification code per PDF, and checking a code."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printing import KIND_TITLES, Stamp
from printing import layout as pdf
from workflow.errors import NotFound
from workflow.identity import sex as sex_of
from workflow.machines import CLAIM
from workflow.roles import ROLE_LABELS, Actor
from workflow.rules.facts import FACT_LABELS
from workflow.rules.figures import BUREAU_MARK
from workflow.rules.post_days import RULE_TEXT as POST_SUBSIDY_RULE
from workflow.states import DESTINATION_LABELS, STATE_LABELS, SUBSIDY_LABELS, TARGET_GROUP_LABELS

from ..db import Database
from ..models import Claim, ClaimHistory, Contract, ContractHistory, Organisation, Person
from ..payouts.models import PayoutBatch, PayoutLine
from ..policy.versions import claim_figures
from .models import Document

log = logging.getLogger("fuzhi.documents")

ISSUER = "德钦县人力资源和社会保障局"
NUMBER_PREFIX = "德人社"
# History rows keep the role as a plain string; a role no longer defined shows as itself.
ROLE_TEXT = {role.value: label for role, label in ROLE_LABELS.items()}
# The character after 德人社 says which register the number belongs to.
KIND_MARKS = {
    "approval_form": "审",
    "contract": "协",
    "renewal_notice": "提",
    "rejection_notice": "驳",
    "payout_roster": "发",
}
SUBJECT_TYPES = {
    "approval_form": "claim",
    "contract": "contract",
    "renewal_notice": "contract",
    "rejection_notice": "claim",
    "payout_roster": "payout_batch",
}
CODE_BYTES = 10  # 16 base32 characters, 80 random bits
RENEWAL_REPLY_DAYS = 7
# Only an approved claim has an approved amount (核定金额): the form of any other says why not.
APPROVED_STATES = frozenset({"hr_reviewed", "finance_paid"})
UNAPPROVED_AMOUNT_NOTES = {
    "rejected": "不予批准，无核定金额",
    "withdrawn": "申请已撤回，无核定金额",
    "expired": "逾期未重新提交，无核定金额",
}
PENDING_AMOUNT_NOTE = "尚未审核，暂无核定金额（按规则测算 ¥{computed}，以审核结果为准）"


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
    last = session.scalar(
        select(Document.number)
        .where(Document.number.startswith(prefix))
        .order_by(Document.number.desc())
        .limit(1)
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:06d}"


def _reserve(
    db: Database,
    actor: Actor,
    kind: str,
    subject_id: int,
    reuse: Callable[[Session], Document | None] | None = None,
) -> Document:
    """A register row with a fresh number and code; retried when a concurrent issue took the number.
    ``reuse`` may return a row to hand back instead, read in the same transaction."""
    for attempt in range(5):
        try:
            with db.transaction() as s:
                doc = reuse(s) if reuse else None
                if doc is None:
                    now = db.clock.now()
                    doc = Document(
                        kind=kind,
                        number=_next_number(s, kind, now.year),
                        verification_code=new_code(),
                        subject_type=SUBJECT_TYPES[kind],
                        subject_id=subject_id,
                        issued_at=now,
                        issued_by=actor.user_id,
                    )
                    s.add(doc)
                    s.flush()
                s.expunge(doc)
                return doc
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _register(s: Session, doc: Document, digest: str, now: datetime, stored: bool = False) -> None:
    """Record a rendered document's hash; it supersedes the earlier ones of its kind for its
    subject, and is itself superseded at once when a later one was registered first (a slow
    render finishing after a newer one)."""
    s.execute(update(Document).where(Document.id == doc.id).values(content_sha256=digest, stored=stored))
    same = and_(
        Document.kind == doc.kind,
        Document.subject_type == doc.subject_type,
        Document.subject_id == doc.subject_id,
        Document.content_sha256.is_not(None),
        Document.superseded_at.is_(None),
    )
    s.execute(update(Document).where(same, Document.id < doc.id).values(superseded_at=now))
    if s.scalar(select(Document.id).where(same, Document.id > doc.id).limit(1)) is not None:
        s.execute(update(Document).where(Document.id == doc.id).values(superseded_at=now))


def issue_document(
    db: Database,
    actor: Actor,
    kind: str,
    subject_id: int,
    render: Callable[[Stamp], bytes],
    base_url: str = "",
) -> Issued:
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
        _register(s, doc, digest, db.clock.now())
    return Issued(doc.number, doc.verification_code, digest, content)


def verify(db: Database, code: str) -> Verification:
    with db.transaction() as s:
        doc = s.scalar(
            select(Document).where(
                Document.verification_code == normalise_code(code), Document.content_sha256.is_not(None)
            )
        )
        if doc is None:
            return Verification("unknown")
        return Verification(
            "superseded" if doc.superseded_at else "genuine",
            KIND_TITLES[doc.kind],
            doc.number,
            doc.issued_at,
            doc.superseded_at,
        )


# --- what each document shows, read from the case -------------------------------------------


def _person(db: Database, p: Person) -> dict[str, Any]:
    id_number = db.vault.decrypt(p.id_number_enc)
    return {
        "name": p.name,
        "id_number": id_number,
        "sex": p.sex or sex_of(id_number),
        "birth_date": p.birth_date,
        "village": p.village.name,
        "groups": "、".join(TARGET_GROUP_LABELS.get(g, g) for g in sorted(p.target_group_set)),
        "phone": p.phone or "",
        "bank_account": db.vault.decrypt(p.bank_account_enc) if p.bank_account_enc else "",
    }


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
        steps.append(
            {
                "label": label,
                "actor": h.actor_name,
                "role": ROLE_TEXT.get(h.role, h.role),
                "at": h.at,
                "comment": h.comment,
            }
        )
    return steps


def approval_form_context(db: Database, claim_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        history = s.scalars(
            select(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id)
            .order_by(ClaimHistory.at, ClaimHistory.id)
        ).all()
        return {
            "issuer": ISSUER,
            "person": _person(db, claim.person),
            "claim": {
                "ref": f"SQ{claim.policy_year}-{claim.id:06d}",
                "subsidy": SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
                "policy_year": claim.policy_year,
                "claimant": claim.claimant.name,
                "facts": [_fact(k, v) for k, v in claim.facts.items()],
                "rule": claim.rule,
                "rule_explanation": claim.rule_explanation,
                "amount": claim.amount if claim.state in APPROVED_STATES else None,
                "amount_note": _amount_note(claim),
                "state": STATE_LABELS.get(claim.state, claim.state),
            },
            "steps": _steps(history, CLAIM),
            # The figures of the claim's own parameter set, whatever the year's are now.
            "figures": claim_figures(s, claim.params_version_id, claim.subsidy_type),
            "bureau_mark": BUREAU_MARK,
        }


def _amount_note(claim: Claim) -> str:
    """Why the form shows no approved amount (empty for an approved claim)."""
    if claim.state in APPROVED_STATES:
        return ""
    return UNAPPROVED_AMOUNT_NOTES.get(claim.state) or PENDING_AMOUNT_NOTE.format(
        computed=f"{claim.amount:,.2f}"
    )


def contract_context(db: Database, contract_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        c = s.get_one(Contract, contract_id)
        village = c.post.village.name
        return {
            "issuer": ISSUER,
            "employer": f"{c.post.village.township.name}{village}村民委员会",
            "person": _person(db, c.person),
            "post": {"title": c.post.title, "village": village},
            "term": {
                "start": c.start_date,
                "end": c.end_date,
                "monthly": c.monthly_subsidy,
                "insurance_no": c.insurance_policy_no,
                # 第三条 prints the rule the subsidy is computed by (rules.post_days).
                "subsidy_rule": POST_SUBSIDY_RULE,
            },
        }


def renewal_notice_context(db: Database, contract_id: int, today: date | None = None) -> dict[str, Any]:
    context = contract_context(db, contract_id)
    today = today or db.clock.now().date()
    end = context["term"]["end"]
    context.update(
        days_left=max((end - today).days, 0),
        issued_on=today,
        reply_by=min(end, today + timedelta(days=RENEWAL_REPLY_DAYS)),
    )
    return context


def rejection_notice_context(db: Database, claim_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        refusal = s.scalars(
            select(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "reject")
            .order_by(ClaimHistory.at.desc(), ClaimHistory.id.desc())
            .limit(1)
        ).first()
        subsidy = SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type)
        return {
            "issuer": ISSUER,
            "addressee": claim.claimant.name,
            "applicant_text": f"你单位（人）为{claim.person.name}申请的{claim.policy_year}年度{subsidy}"
            f"（申请编号 SQ{claim.policy_year}-{claim.id:06d}），",
            "reviewer_role": ROLE_TEXT.get(refusal.role, refusal.role) if refusal else ISSUER,
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
            id_number = (
                db.vault.decrypt(c.person.id_number_enc)
                if isinstance(payee, Person)
                else (payee.credit_code or "")
            )
            lines.append(
                {
                    "name": payee.name,
                    "id_number": id_number,
                    "bank_account": account,
                    "amount": c.amount,
                    "note": SUBSIDY_LABELS.get(c.subsidy_type, ""),
                }
            )
        return lines


RENDERERS: Mapping[str, Callable[[Mapping[str, Any], Stamp], bytes]] = {
    "approval_form": pdf.approval_form,
    "contract": pdf.contract,
    "renewal_notice": pdf.renewal_notice,
    "rejection_notice": pdf.rejection_notice,
}
CONTEXTS: Mapping[str, Callable[[Database, int], dict[str, Any]]] = {
    "approval_form": approval_form_context,
    "contract": contract_context,
    "renewal_notice": renewal_notice_context,
    "rejection_notice": rejection_notice_context,
}


def issue(db: Database, actor: Actor, kind: str, subject_id: int, base_url: str = "") -> Issued:
    """Issue a case document (审批表, 协议, 到期提醒, 不予批准通知) for a claim or contract."""
    context = CONTEXTS[kind](db, subject_id)
    return issue_document(
        db, actor, kind, subject_id, lambda stamp: RENDERERS[kind](context, stamp), base_url
    )


def issue_roster(
    db: Database,
    actor: Actor,
    batch_id: int,
    batch_ref: str,
    lines: Sequence[Mapping[str, Any]],
    base_url: str = "",
) -> Issued:
    """Issue a 发放花名册 for a payout batch from its lines (see ``roster_lines``)."""
    return issue_document(
        db,
        actor,
        "payout_roster",
        batch_id,
        lambda stamp: pdf.payout_roster(lines, stamp, batch_ref=batch_ref),
        base_url,
    )


# --- the roster made in the background --------------------------------------------------------
# A large roster takes tens of seconds: ``start_roster`` reserves its number in the request,
# ``render_roster`` runs as a job, and the batch page follows ``roster_status`` until it is ready.

ROSTER = "payout_roster"
ROSTER_STALE_AFTER = timedelta(minutes=15)  # a job still pending by then died with its server
ROSTER_FAILED = "花名册生成失败，请重新生成；如再次失败，请联系系统管理员"
ROSTER_INTERRUPTED = "生成中断，请重新生成"
ROSTER_OUTDATED = "批次明细已变更，此份作废，已重新生成"
DOCUMENTS_DIR = "documents"


@dataclass(frozen=True)
class Roster:
    """A roster of a payout batch and how far its rendering got: pending, ready or failed."""

    id: int
    number: str
    batch_ref: str
    issued_at: datetime
    status: str
    error: str | None = None
    sha256: str | None = None
    started: bool = False  # reserved by this call: a job must render it


def _rosters_of(batch_id: int) -> ColumnElement[bool]:
    # Rosters issued in a request before the background job existed are neither kept on disk
    # nor pending: leave them out.
    return and_(
        Document.kind == ROSTER,
        Document.subject_type == SUBJECT_TYPES[ROSTER],
        Document.subject_id == batch_id,
        or_(Document.stored, Document.content_sha256.is_(None)),
    )


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(
        Document.content_sha256.is_(None),
        Document.error.is_(None),
        Document.issued_at >= now - ROSTER_STALE_AFTER,
    )


def _roster(doc: Document, batch_ref: str, now: datetime, started: bool = False) -> Roster:
    if doc.stored:
        status, error = "ready", None
    elif doc.error:
        status, error = "failed", doc.error
    elif now - doc.issued_at > ROSTER_STALE_AFTER:
        status, error = "failed", ROSTER_INTERRUPTED
    else:
        status, error = "pending", None
    return Roster(doc.id, doc.number, batch_ref, doc.issued_at, status, error, doc.content_sha256, started)


def start_roster(db: Database, actor: Actor, batch_id: int) -> Roster:
    """Reserve the number and code of a new roster for ``render_roster`` to fill in; while one
    is still being made for the batch, that one is returned instead (``started`` is False)."""
    found: dict[str, Any] = {}

    def pending(s: Session) -> Document | None:
        # The batch row lock makes a second request wait for the first one's pending row.
        batch = s.get(PayoutBatch, batch_id, with_for_update=True)
        if batch is None:
            raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
        found["batch_ref"] = batch.reference
        latest = s.scalars(
            select(Document)
            .where(_rosters_of(batch_id), _pending(db.clock.now()))
            .order_by(Document.id.desc())
            .limit(1)
        ).first()
        found["pending"] = latest
        return latest

    doc = _reserve(db, actor, ROSTER, batch_id, reuse=pending)
    return _roster(doc, found["batch_ref"], db.clock.now(), started=found["pending"] is None)


def supersede_rosters(s: Session, batch_id: int, now: datetime) -> None:
    """The batch's lines changed (a line failed): every roster printed so far is superseded at
    once (``/verify`` says so), and one still being made is dropped (it may have read the old
    lines). The caller's transaction; ``reissue_roster`` then makes the new one."""
    s.execute(
        update(Document)
        .where(_rosters_of(batch_id), Document.content_sha256.is_not(None), Document.superseded_at.is_(None))
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(Document)
        .where(_rosters_of(batch_id), Document.content_sha256.is_(None), Document.error.is_(None))
        .values(error=ROSTER_OUTDATED)
        .execution_options(synchronize_session=False)
    )


def reissue_roster(db: Database, actor: Actor, batch_id: int) -> Roster | None:
    """After the batch's lines changed: a new roster to render, if the batch had one before
    (a batch never printed needs none)."""
    with db.transaction() as s:
        had = s.scalar(select(Document.id).where(_rosters_of(batch_id)).limit(1))
    return None if had is None else start_roster(db, actor, batch_id)


def render_roster(db: Database, files: Path, document_id: int, base_url: str = "") -> None:
    """The job: render a reserved roster from the batch's lines (failed lines left out), keep
    the PDF under ``files`` and register it. On any error the row records why, and nothing of
    the PDF is left behind."""
    kept: Path | None = None
    try:
        with db.transaction() as s:
            doc = s.get_one(Document, document_id)
            batch_ref = s.get_one(PayoutBatch, doc.subject_id).reference
            claim_ids = list(
                s.scalars(
                    select(PayoutLine.claim_id).where(
                        PayoutLine.batch_id == doc.subject_id, PayoutLine.status != "failed"
                    )
                )
            )
        stamp = Stamp(doc.number, doc.verification_code, base_url)
        content = pdf.payout_roster(roster_lines(db, claim_ids), stamp, batch_ref=batch_ref)
        digest = hashlib.sha256(content).hexdigest()
        kept = _keep(files, digest, content)
        with db.transaction() as s:
            if s.scalar(select(Document.error).where(Document.id == document_id)) is not None:
                kept.unlink(missing_ok=True)  # dropped while rendering: ``supersede_rosters``
                return
            _register(s, doc, digest, db.clock.now(), stored=True)
    except Exception as exc:
        if kept is not None:
            kept.unlink(missing_ok=True)
        # The type and the frames only: a message may quote a payee's name or account.
        log.error(
            "花名册生成失败 document=%s: %s\n%s",
            document_id,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        with db.transaction() as s:
            s.execute(update(Document).where(Document.id == document_id).values(error=ROSTER_FAILED))


def _stored_path(files: Path, digest: str) -> Path:
    return files / DOCUMENTS_DIR / f"{digest}.pdf"


def _keep(files: Path, digest: str, content: bytes) -> Path:
    """Write the PDF beside its final name and rename it there: a reader never sees half a file."""
    path = _stored_path(files, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _latest(db: Database, batch_id: int, *conditions: SQLColumnExpression[bool]) -> Roster | None:
    with db.transaction() as s:
        row = s.execute(
            select(Document, PayoutBatch.reference)
            .join(PayoutBatch, PayoutBatch.id == Document.subject_id)
            .where(_rosters_of(batch_id), *conditions)
            .order_by(Document.id.desc())
            .limit(1)
        ).first()
    return _roster(row[0], row[1], db.clock.now()) if row else None


def roster_status(db: Database, batch_id: int) -> Roster | None:
    """The batch's latest roster, whatever its state; None before the first one."""
    return _latest(db, batch_id)


def ready_roster(db: Database, batch_id: int) -> Roster | None:
    """The batch's current roster kept on disk (while a newer one is made, the one before)."""
    return _latest(db, batch_id, Document.stored, Document.superseded_at.is_(None))


def stored_pdf(files: Path, roster: Roster) -> bytes:
    """The kept PDF of a ready roster."""
    if roster.status != "ready" or roster.sha256 is None:
        raise NotFound("not_found.roster", "花名册尚未生成", id=roster.id)
    try:
        return _stored_path(files, roster.sha256).read_bytes()
    except FileNotFoundError:
        log.error("花名册文件缺失 document=%s", roster.id)
        raise NotFound("not_found.roster_file", "花名册文件缺失，请重新生成", id=roster.id) from None
