"""Issuing a document: number it in the register, render it outside any transaction, and
record its hash; the case documents (审批表, 协议, 到期提醒, 不予批准通知) from their contexts,
and a 发放花名册 rendered in the request.

One number per document version. A case document's version is the hash of what it shows
(``context_hash``: the canonical JSON of its kind and context; the number, code and issue time
are the stamp's, not the context's; a renewal notice's days left, date and day to reply by
follow from the day it was first issued, ``DATED_FIELDS``, and are shown as on that day). A
download whose context hashes as the current document's does is that document again, whoever
asks (staff page, agent API or portal): re-rendered with its number, code and QR address,
giving the same bytes and hash. Only a changed context (the case moved on, an amount or a name
changed) is numbered anew and supersedes the one before; a unique index on the current version
makes two downloads at once share one number. A 发放花名册 made in the background is
versioned the same way (``rosters``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printing import Stamp
from printing import layout as pdf
from workflow.roles import Actor

from .. import heavy
from ..audit import chain
from ..db import Database
from .contexts import (
    approval_form_context,
    contract_context,
    rejection_notice_context,
    renewal_notice_context,
)
from .models import Document
from .register import SUBJECT_TYPES, register, reserve

log = logging.getLogger("fuzhi.documents")


@dataclass(frozen=True)
class Issued:
    number: str
    code: str
    sha256: str
    pdf: bytes


def issue_document(
    db: Database,
    actor: Actor,
    kind: str,
    subject_id: int,
    render: Callable[[Stamp], bytes],
    base_url: str = "",
    reserved: Document | None = None,
) -> Issued:
    """Number (unless ``reserved`` already is), render and register one document; earlier ones
    of the same kind for the same subject become superseded. Rendering runs outside any
    transaction (a roster takes seconds)."""
    doc = reserved or reserve(db, actor, kind, subject_id)
    try:
        content = render(Stamp(doc.number, doc.verification_code, base_url))
    except BaseException:
        with db.transaction() as s:
            s.execute(Document.__table__.delete().where(Document.id == doc.id))
        raise
    digest = hashlib.sha256(content).hexdigest()
    with db.transaction() as s:
        register(s, doc, digest, db.clock.now())
    return Issued(doc.number, doc.verification_code, digest, content)


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


# Kinds that show what follows from the day they are printed, and those fields: left out of the
# version (the notice is the same notice the next day) and shown as on the day it was issued.
DATED_CONTEXTS: Mapping[str, Callable[[Database, int, date], dict[str, Any]]] = {
    "renewal_notice": renewal_notice_context,
}
DATED_FIELDS = frozenset({"days_left", "issued_on", "reply_by"})


def _plain(value: object) -> str:
    """A context value JSON has no form for: a date as ISO, a Decimal as written ("300.00")."""
    return value.isoformat() if isinstance(value, date) else str(value)


def context_hash(kind: str, context: Mapping[str, Any]) -> str:
    """The version of a document: the sha256 of the canonical JSON of its kind and context."""
    canonical = json.dumps(
        {"kind": kind, "context": context},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_plain,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue(db: Database, actor: Actor, kind: str, subject_id: int, base_url: str = "") -> Issued:
    """A case document (审批表, 协议, 到期提醒, 不予批准通知) for a claim or contract: the current
    numbered one when what it shows is unchanged, else a new number superseding it."""
    today = db.clock.now().date()
    context = CONTEXTS[kind](db, subject_id)
    dated_fields = DATED_FIELDS if kind in DATED_CONTEXTS else frozenset()
    version = context_hash(kind, {k: v for k, v in context.items() if k not in dated_fields})

    def render(stamp: Stamp) -> bytes:
        return heavy.run(RENDERERS[kind], context, stamp)  # in a worker process

    found: dict[str, bool] = {}

    def current(s: Session) -> Document | None:
        doc = s.scalars(
            select(Document)
            .where(
                Document.kind == kind,
                Document.subject_type == SUBJECT_TYPES[kind],
                Document.subject_id == subject_id,
                Document.context_sha256 == version,
                Document.superseded_at.is_(None),
            )
            .limit(1)
        ).first()
        found["reused"] = doc is not None
        return doc

    for _ in range(3):
        doc = reserve(
            db, actor, kind, subject_id, reuse=current, context_sha256=version, verify_base=base_url
        )
        if not found["reused"]:
            return issue_document(db, actor, kind, subject_id, render, base_url, reserved=doc)
        dated = kind in DATED_CONTEXTS and doc.issued_at.date() != today
        again = _again(db, doc, _as_issued(db, kind, subject_id, doc) if dated else render)
        if again is not None:
            return again
    raise AssertionError("the document was dropped three times while being rendered")


def _as_issued(db: Database, kind: str, subject_id: int, doc: Document) -> Callable[[Stamp], bytes]:
    """The renderer of ``doc`` as issued: what follows from the day (a renewal notice's days
    left, its date, the day to reply by) as on the day its number was issued."""
    context = DATED_CONTEXTS[kind](db, subject_id, doc.issued_at.date())

    def render(stamp: Stamp) -> bytes:
        return RENDERERS[kind](context, stamp)

    return render


def _again(db: Database, doc: Document, render: Callable[[Stamp], bytes]) -> Issued | None:
    """The same numbered document re-rendered; registered here when its first rendering is
    still under way (None when that rendering failed and dropped the number)."""
    content = render(Stamp(doc.number, doc.verification_code, doc.verify_base or ""))
    digest = hashlib.sha256(content).hexdigest()
    with db.transaction() as s:
        registered = s.scalar(select(Document.content_sha256).where(Document.id == doc.id))
        if registered is None:
            if s.scalar(select(Document.id).where(Document.id == doc.id)) is None:
                return None
            register(s, doc, digest, db.clock.now())
        elif registered != digest:
            log.warning("文书重新生成的内容与登记不同 document=%s", doc.id)
    return Issued(doc.number, doc.verification_code, digest, content)


def issue_roster(
    db: Database,
    actor: Actor,
    batch_id: int,
    batch_ref: str,
    lines: Sequence[Mapping[str, Any]],
    base_url: str = "",
) -> Issued:
    """Issue a 发放花名册 for a payout batch from its lines (see ``roster_lines``), the audit
    log's head printed on it."""
    with db.transaction() as s:
        seq, digest = chain.head(s.connection())
    return issue_document(
        db,
        actor,
        "payout_roster",
        batch_id,
        lambda stamp: pdf.payout_roster(lines, stamp, batch_ref=batch_ref, audit_head=f"{seq}:{digest}"),
        base_url,
    )
