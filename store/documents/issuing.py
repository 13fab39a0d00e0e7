"""Issuing a document: number it in the register, render it outside any transaction, and
record its hash; the case documents (审批表, 协议, 到期提醒, 不予批准通知) from their contexts,
and a 发放花名册 rendered in the request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from printing import Stamp
from printing import layout as pdf
from workflow.roles import Actor

from ..db import Database
from .contexts import (
    approval_form_context,
    contract_context,
    rejection_notice_context,
    renewal_notice_context,
)
from .models import Document
from .register import register, reserve


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
) -> Issued:
    """Number, render and register one document; earlier ones of the same kind for the same
    subject become superseded. Rendering runs outside any transaction (a roster takes seconds)."""
    doc = reserve(db, actor, kind, subject_id)
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
