"""The shared limiter: counters kept in the database (``ThrottleBucket``), so that every server
process agrees, taken with their rows locked, so that a burst of concurrent requests is counted
one by one and no more than the limit get through; a fixed window (so many per minute) or an
exponential back-off (a few free attempts, then a delay that doubles with each further one).

A counter is taken *before* the work it guards (a password verified, a person looked up): the
attempt is reserved first and given back (``give_back``) or cleared (``clear``) when it turns
out well. Times come from the injected clock the caller passes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.errors import DomainError

from ..db import Database
from .models import ThrottleBucket


class Throttled(DomainError):
    """Too many attempts: try again in ``retry_after`` seconds (the answer's Retry-After)."""

    status = 429

    @property
    def retry_after(self) -> int:
        return int(self.details["retry_after"])


@dataclass(frozen=True)
class Window:
    """At most ``limit`` attempts per fixed window of ``length``."""

    limit: int
    length: timedelta


@dataclass(frozen=True)
class Backoff:
    """``free`` attempts, then each further one only after a delay: ``first``, doubling with each
    attempt since, at most ``cap``. Counted until cleared (a success)."""

    free: int
    first: timedelta
    cap: timedelta

    def delay(self, hits: int) -> timedelta:
        """The wait after the ``hits``-th attempt (none before the ``free``-th)."""
        if hits < self.free:
            return timedelta(0)
        doubled: timedelta = self.first * (2 ** min(hits - self.free, 30))
        return min(doubled, self.cap)


@dataclass(frozen=True)
class _Row:
    hits: int
    window_start: datetime
    blocked_until: datetime | None


def _locked(session: Session, key: str, now: datetime) -> _Row:
    """The counter's row, made if new, written at once so that it stays locked until the
    transaction ends: a row lock on PostgreSQL (ON CONFLICT DO UPDATE), the write lock on SQLite
    (the statement is the transaction's first write). Concurrent takers wait for one another."""
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ThrottleBucket.__table__
    stmt = insert(table).values(key=key, hits=0, window_start=now, blocked_until=None)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.key], set_={"key": stmt.excluded.key})
    row = session.execute(stmt.returning(table.c.hits, table.c.window_start, table.c.blocked_until)).one()
    return _Row(row.hits, row.window_start, row.blocked_until)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _store(session: Session, key: str, hits: int, start: datetime, blocked: datetime | None) -> None:
    session.execute(
        update(ThrottleBucket)
        .where(ThrottleBucket.key == key)
        .values(hits=hits, window_start=start, blocked_until=blocked)
    )


def take_window(session: Session, key: str, window: Window, now: datetime) -> int | None:
    """Count one attempt in the window: None when it may go ahead, else the seconds to wait
    (a refused attempt is not counted)."""
    row = _locked(session, key, now)
    start, hits = row.window_start, row.hits
    if now >= start + window.length or now < start:  # a new window (or the clock moved back)
        start, hits = now, 0
    if hits >= window.limit:
        return _seconds(start + window.length - now)
    _store(session, key, hits + 1, start, None)
    return None


def take_backoff(session: Session, key: str, backoff: Backoff, now: datetime) -> int | None:
    """Count one attempt against a back-off: None when it may go ahead, else the seconds to wait
    (a refused attempt is not counted: hammering does not make the wait longer)."""
    row = _locked(session, key, now)
    if row.blocked_until is not None and row.blocked_until > now:
        return _seconds(row.blocked_until - now)
    hits = row.hits + 1
    delay = backoff.delay(hits)
    _store(session, key, hits, row.window_start, now + delay if delay else None)
    return None


def give_back(session: Session, key: str) -> None:
    """An attempt that turned out well is not held against the counter's window."""
    session.execute(
        update(ThrottleBucket)
        .where(ThrottleBucket.key == key, ThrottleBucket.hits > 0)
        .values(hits=ThrottleBucket.hits - 1)
    )


def clear(session: Session, key: str, *, prefix: bool = False) -> int:
    """Forget a counter (or every counter whose key starts with ``key``); how many there were."""
    where = ThrottleBucket.key.startswith(key, autoescape=True) if prefix else ThrottleBucket.key == key
    return session.execute(delete(ThrottleBucket).where(where)).rowcount or 0  # type: ignore[attr-defined]


def limit(db: Database, key: str, window: Window, code: str, message: str) -> None:
    """A service: count one attempt in its own transaction (committed whatever the work it
    guards then does), or refuse with ``Throttled`` (429, Retry-After)."""
    with db.transaction() as session:
        wait = take_window(session, key, window, db.clock.now())
    if wait is not None:
        raise Throttled(code, message.format(seconds=wait), retry_after=wait)
