"""Idempotency-Key: the same key and body get the first response again, without a second effect.

A key is taken with a LEASE of ``LEASE`` (2 minutes, the staff forms' ``ABANDONED_AFTER`` too):
``created_at`` is when the lease began. A retry while the lease runs gets ``KeyInProgress`` (409,
with the seconds to wait). A key still in progress after its lease belonged to a process that died:
the retry takes it over (a new ``created_at``) and does the work itself, unless the first attempt's
effect committed. A service that can, records its effect in the key row inside the effect's own
transaction (``Lease.note_effect``: content type ``EFFECT``, the body a JSON note such as the list id);
a retry then answers that committed effect (``recover``) instead of doing it again. ``note_effect``
is also the fence: it refuses (and so rolls the effect back) when the lease was taken over meanwhile,
so of a slow first attempt and its take-over only one commits.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.errors import Conflict, ValidationFailed

from ..db import Database
from ..models import IdempotencyRecord

IN_PROGRESS = 0
LEASE = timedelta(minutes=2)
EFFECT = "application/x.fuzhi-effect+json"  # an in-progress key whose effect has committed


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    content_type: str
    replayed: bool = False


class KeyInProgress(Conflict):
    """The first request with this key is still being handled (its lease runs)."""

    @property
    def retry_after(self) -> int:
        """Seconds until the lease ends."""
        return int(self.details["retry_after"])


def in_progress(seconds: int) -> KeyInProgress:
    return KeyInProgress(
        "idempotency.in_progress", "同一 Idempotency-Key 的请求正在处理中，请稍后重试", retry_after=seconds
    )


@dataclass(frozen=True)
class Lease:
    """This request's hold on a key, from ``started`` for ``LEASE``."""

    org_id: int
    key: str
    started: datetime

    def _mine(self) -> Any:
        return (
            IdempotencyRecord.org_id == self.org_id,
            IdempotencyRecord.key == self.key,
            IdempotencyRecord.status == IN_PROGRESS,
            IdempotencyRecord.created_at == self.started,
        )

    def note_effect(self, session: Session | Connection, note: dict[str, Any]) -> None:
        """In the effect's transaction, last: what committed, for a retry to answer."""
        done = session.execute(
            update(IdempotencyRecord)
            .where(*self._mine(), IdempotencyRecord.content_type != EFFECT)
            .values(body=json.dumps(note), content_type=EFFECT)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("idempotency.lease_lost", "该请求处理超时，已由重试接手，本次未生效")


Recover = Callable[[dict[str, Any]], StoredResponse]


def run_once(
    db: Database,
    org_id: int,
    key: str,
    fingerprint: str,
    produce: Callable[[Lease], StoredResponse],
    recover: Recover | None = None,
) -> StoredResponse:
    """Take the key, produce the response and keep it; a retry replays it or takes over."""
    key = key.strip()
    if not key or len(key) > 100:
        raise ValidationFailed(
            "validation.idempotency_key", "Idempotency-Key 须为1至100个字符", field="Idempotency-Key"
        )
    now = db.clock.now()
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
                    created_at=now,
                )
            )
        lease = Lease(org_id, key, now)
    except IntegrityError:
        found = _existing(db, org_id, key, fingerprint, now, recover)
        if isinstance(found, StoredResponse):
            return found
        lease = found
    try:
        response = produce(lease)
    except BaseException:
        # Nothing was kept for this key, so the client may try it again (unless its effect committed).
        with db.transaction() as session:
            session.execute(
                delete(IdempotencyRecord).where(*lease._mine(), IdempotencyRecord.content_type != EFFECT)
            )
        raise
    _keep(db, lease, response)
    return response


def _keep(db: Database, lease: Lease, response: StoredResponse) -> None:
    with db.transaction() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(*lease._mine())
            .values(status=response.status, body=response.body, content_type=response.content_type)
        )


def _existing(
    db: Database, org_id: int, key: str, fingerprint: str, now: datetime, recover: Recover | None
) -> StoredResponse | Lease:
    """The key is taken: its kept response, its committed effect, or (lease run out) the key."""
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
    if record.status != IN_PROGRESS:
        return StoredResponse(record.status, record.body, record.content_type, replayed=True)
    ends = record.created_at + LEASE
    if record.content_type == EFFECT and recover is not None:
        answer = recover(json.loads(record.body))
        if ends <= now:  # its process died before keeping the response: keep it now
            _keep(db, Lease(org_id, key, record.created_at), answer)
        return StoredResponse(answer.status, answer.body, answer.content_type, replayed=True)
    if now < ends or record.content_type == EFFECT:
        raise in_progress(max(1, math.ceil((ends - now).total_seconds())))
    with db.transaction() as session:
        taken = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record.id,
                IdempotencyRecord.status == IN_PROGRESS,
                IdempotencyRecord.created_at == record.created_at,
                IdempotencyRecord.content_type != EFFECT,
            )
            .values(created_at=now)
        )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # another retry took it first
        raise in_progress(int(LEASE.total_seconds()))
    return Lease(org_id, key, now)
