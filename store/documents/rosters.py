"""The 发放花名册 made in the background: its number reserved in the request, rendered by a job
and kept on disk, followed by the batch page until ready; superseded when the batch's lines
change. One number per roster version: asked for again while what it shows is unchanged (the
hash of its lines, ``roster_version``), the batch's current roster is that roster again."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_, select, update
from sqlalchemy.orm import Session

from printing import Stamp
from printing import layout as pdf
from workflow.errors import NotFound
from workflow.roles import Actor

from ..audit import chain
from ..db import Database
from ..payouts.models import PayoutBatch, PayoutLine
from .contexts import roster_lines
from .issuing import context_hash
from .models import Document
from .register import SUBJECT_TYPES, register, reserve

log = logging.getLogger("fuzhi.documents")

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


def batch_lines(db: Database, batch_id: int) -> tuple[str, list[dict[str, Any]]]:
    """What a roster of the batch shows: its reference and its lines (failed lines left out)."""
    with db.transaction() as s:
        batch = s.get(PayoutBatch, batch_id)
        if batch is None:
            raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
        reference = batch.reference
        claim_ids = list(
            s.scalars(
                select(PayoutLine.claim_id).where(
                    PayoutLine.batch_id == batch_id, PayoutLine.status != "failed"
                )
            )
        )
    return reference, roster_lines(db, claim_ids)


def roster_version(batch_ref: str, lines: list[dict[str, Any]]) -> str:
    """A roster's version: the hash of what it shows (the number and code are the stamp's)."""
    return context_hash(ROSTER, {"batch_ref": batch_ref, "lines": lines})


def start_roster(db: Database, actor: Actor, batch_id: int) -> Roster:
    """Reserve the number and code of a new roster for ``render_roster`` to fill in; while one
    is still being made for the batch, that one is returned instead, and while the batch's
    current roster shows what a new one would (same version), that one (``started`` False)."""
    found: dict[str, Any] = {}
    version = roster_version(*batch_lines(db, batch_id))

    def pending(s: Session) -> Document | None:
        # The batch row lock makes a second request wait for the first one's pending row.
        batch = s.get(PayoutBatch, batch_id, with_for_update=True)
        if batch is None:
            raise NotFound("not_found.payout_batch", "未找到该发放批次", id=batch_id)
        found["batch_ref"] = batch.reference
        latest = s.scalars(
            select(Document)
            .where(
                _rosters_of(batch_id),
                or_(
                    _pending(db.clock.now()),
                    and_(
                        Document.stored,
                        Document.superseded_at.is_(None),
                        Document.context_sha256 == version,
                    ),
                ),
            )
            .order_by(Document.id.desc())
            .limit(1)
        ).first()
        found["reused"] = latest
        return latest

    doc = reserve(db, actor, ROSTER, batch_id, reuse=pending)
    return _roster(doc, found["batch_ref"], db.clock.now(), started=found["reused"] is None)


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
            # The audit log's head, printed on it (not part of its version: a roster asked for
            # again while its lines are unchanged is the same document).
            seq, head_hash = chain.head(s.connection())
        batch_ref, lines = batch_lines(db, doc.subject_id)
        stamp = Stamp(doc.number, doc.verification_code, base_url)
        content = pdf.payout_roster(lines, stamp, batch_ref=batch_ref, audit_head=f"{seq}:{head_hash}")
        digest = hashlib.sha256(content).hexdigest()
        kept = _keep(files, digest, content)
        with db.transaction() as s:
            if s.scalar(select(Document.error).where(Document.id == document_id)) is not None:
                kept.unlink(missing_ok=True)  # dropped while rendering: ``supersede_rosters``
                return
            _register(s, doc, digest, db.clock.now(), roster_version(batch_ref, lines))
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


def _register(s: Session, doc: Document, digest: str, now: datetime, version: str) -> None:
    """Record a rendered roster in the register, as kept on disk, with the version it shows
    once it is the current one (the rosters before it superseded first, so that the one current
    roster per version the register's unique index allows is this one)."""
    register(s, doc, digest, now, stored=True)
    if s.scalar(select(Document.superseded_at).where(Document.id == doc.id)) is None:
        s.execute(update(Document).where(Document.id == doc.id).values(context_sha256=version))


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
