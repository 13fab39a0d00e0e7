"""The register of issued documents: each PDF's number (德人社审〔2026〕000001) and verification
code, reserved before it is rendered and recorded with its hash after, and checking a code.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printing import KIND_TITLES
from workflow.roles import Actor

from ..db import Database
from .models import Document

NUMBER_PREFIX = "德人社"
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


def reserve(
    db: Database,
    actor: Actor,
    kind: str,
    subject_id: int,
    reuse: Callable[[Session], Document | None] | None = None,
    **fields: str | None,
) -> Document:
    """A register row with a fresh number and code (and ``fields``); retried when a concurrent
    issue took the number or the version. ``reuse`` may return a row to hand back instead, read
    in the same transaction."""
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
                        **fields,
                    )
                    s.add(doc)
                    s.flush()
                s.expunge(doc)
                return doc
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def register(s: Session, doc: Document, digest: str, now: datetime, stored: bool = False) -> None:
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
