"""Idempotency-Key: the same key and body get the first response again, without a second effect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from workflow.errors import Conflict, ValidationFailed

from ..db import Database
from ..models import IdempotencyRecord

IN_PROGRESS = 0


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    content_type: str
    replayed: bool = False


def run_once(
    db: Database, org_id: int, key: str, fingerprint: str, produce: Callable[[], StoredResponse]
) -> StoredResponse:
    """Claim the key first, then produce the response and keep it; a retry replays it."""
    key = key.strip()
    if not key or len(key) > 100:
        raise ValidationFailed(
            "validation.idempotency_key", "Idempotency-Key 须为1至100个字符", field="Idempotency-Key"
        )
    try:
        with db.transaction() as session:
            session.add(
                IdempotencyRecord(
                    org_id=org_id,
                    key=key,
                    request_hash=fingerprint,
                    status=IN_PROGRESS,
                    body="",
                    content_type="",
                    created_at=db.clock.now(),
                )
            )
    except IntegrityError:
        return _replay(db, org_id, key, fingerprint)
    try:
        response = produce()
    except BaseException:
        # Nothing was kept for this key, so the client may try it again.
        with db.transaction() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.org_id == org_id, IdempotencyRecord.key == key
                )
            )
        raise
    with db.transaction() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.org_id == org_id, IdempotencyRecord.key == key)
            .values(status=response.status, body=response.body, content_type=response.content_type)
        )
    return response


def _replay(db: Database, org_id: int, key: str, fingerprint: str) -> StoredResponse:
    with db.transaction() as session:
        record = session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.org_id == org_id, IdempotencyRecord.key == key)
        )
    if record is None:  # the first attempt failed and released the key meanwhile
        raise Conflict("idempotency.retry", "同一 Idempotency-Key 的请求刚刚失败，请重试")
    if record.request_hash != fingerprint:
        raise ValidationFailed(
            "idempotency.key_reused", "该 Idempotency-Key 已用于内容不同的请求", field="Idempotency-Key"
        )
    if record.status == IN_PROGRESS:
        raise Conflict("idempotency.in_progress", "同一 Idempotency-Key 的请求正在处理中，请稍后重试")
    return StoredResponse(record.status, record.body, record.content_type, replayed=True)
