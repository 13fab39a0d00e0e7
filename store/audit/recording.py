"""Recording audit entries: who is asking (the request's context: user, role, address), an event
noted in a transaction (kept until it commits), an event in a transaction of its own (a refusal,
a failed sign-in), and the hooks that seal each transaction's protected rows and noted events
into the chain just before it commits.

The hooks are on SQLAlchemy's ``Engine`` class, so every engine of the process has them
(the server's, the command's, the tests'). A transaction that inserted a history row or a
payout line (the triggers queued them in ``audit_pending``) or noted an event appends its
entries at commit, in that same transaction: a rollback leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, event, text
from sqlalchemy.orm import Session

from workflow.roles import Actor

from ..db import Database
from . import chain
from .models import AuditPending

PENDING = AuditPending.__table__
OUTCOMES = ("ok", "denied", "failed")
_QUEUE = "fuzhi_audit_queue"
_DIRTY = "fuzhi_audit_dirty"
_READY = "fuzhi_audit_ready"


@dataclass
class Context:
    """Who is asking, set by the web app for each request (the client's address at once, the
    user once the session or token is resolved); nothing for the command and the sweep."""

    client: str | None = None
    user_id: int | None = None
    username: str | None = None
    role: str | None = None


CONTEXT: ContextVar[Context | None] = ContextVar("fuzhi_audit_context", default=None)


def begin_request(client: str | None) -> Context:
    """A fresh context for one request (the web app's middleware)."""
    found = Context(client=(client or "")[:64] or None)
    CONTEXT.set(found)
    return found


def identify(actor: Actor, username: str | None = None) -> None:
    """The request's user, once known (the page guard, the API's token)."""
    found = CONTEXT.get()
    if found is not None:
        found.user_id = actor.user_id
        found.username = (username or actor.name or str(actor.user_id))[:50]
        found.role = ",".join(sorted(r.value for r in actor.roles))[:60]


def _who(actor: Actor | None = None) -> dict[str, Any]:
    ctx = CONTEXT.get() or Context()
    who = {"user_id": ctx.user_id, "username": ctx.username, "role": ctx.role, "client": ctx.client}
    if actor is not None and actor.user_id != ctx.user_id:
        who.update(
            user_id=actor.user_id,
            username=(actor.name or str(actor.user_id))[:50],
            role=",".join(sorted(r.value for r in actor.roles))[:60],
        )
    return who


def entry(
    at: datetime,
    action: str,
    *,
    actor: Actor | None = None,
    target: tuple[str, object] | None = None,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """An event as the chain keeps it. ``detail``: a few small values, never a full ID or
    bank number (callers pass masked numbers or none)."""
    assert outcome in OUTCOMES, outcome
    who = _who(actor)
    if username is not None:
        who["username"] = username[:50]
    return {
        "at": at,
        **who,
        "action": action[:60],
        "target_kind": target[0] if target else None,
        "target_id": str(target[1])[:40] if target else None,
        "outcome": outcome,
        "detail": dict(detail or {}),
    }


def note(where: Session | Connection, event_: Mapping[str, Any]) -> None:
    """Append ``event_`` when the caller's transaction commits (nothing if it rolls back)."""
    conn = where.connection() if isinstance(where, Session) else where
    conn.info.setdefault(_QUEUE, []).append(dict(event_))


def record(db: Database, event_: Mapping[str, Any]) -> None:
    """Append ``event_`` in a transaction of its own (a refusal, a failed sign-in)."""
    with db.transaction() as session:
        note(session, event_)


def _marks(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if conn.info.get(_DIRTY):
        return
    if ("_history" in statement or "payout_line" in statement) and "INSERT INTO" in statement:
        conn.info[_DIRTY] = True


def _ready(conn: Connection) -> bool:
    """Whether this database has the audit tables (not yet, while migrations run)."""
    if conn.info.get(_READY):
        return True
    ready = conn.dialect.has_table(conn, "audit_head")
    if ready:
        conn.info[_READY] = True
    return ready


def _seal(conn: Connection) -> None:
    queued = conn.info.pop(_QUEUE, None) or []
    dirty = conn.info.pop(_DIRTY, False)
    if not (queued or dirty) or not _ready(conn):
        return
    entries: list[dict[str, Any]] = []
    if dirty:
        # PostgreSQL: only this transaction's rows (another's are invisible until it commits,
        # and a row queued by hand is never sealed); SQLite has one writer at a time.
        taken = conn.execute(_TAKE_MINE if conn.dialect.name == "postgresql" else _TAKE_ALL).all()
        who = _who()
        for name in (*chain.HISTORY, "payout_line"):
            ids = sorted(r.row_id for r in taken if r.row_table == name)
            if ids:
                rows = sorted(chain.read_rows(conn, name, ids), key=lambda r: r["id"])
                entries += [chain.sealed_entry(name, row, who) for row in rows]
    entries += queued
    chain.append(conn, entries)


_TAKE_ALL = delete(PENDING).returning(PENDING.c.row_table, PENDING.c.row_id)
_TAKE_MINE = _TAKE_ALL.where(PENDING.c.tx == text("txid_current()"))


def _forget(conn: Connection) -> None:
    if conn.invalidated:  # the connection was lost: its DBAPI connection, and its info, are gone
        return
    conn.info.pop(_QUEUE, None)
    conn.info.pop(_DIRTY, None)


def install() -> None:
    """Put the hooks on every engine (once; importing this module does it)."""
    if not event.contains(Engine, "commit", _seal):
        event.listen(Engine, "before_cursor_execute", _marks)
        event.listen(Engine, "commit", _seal)
        event.listen(Engine, "rollback", _forget)


def uninstall() -> None:
    """Take the hooks off (``bench/bench_audit.py`` times a step without them)."""
    if event.contains(Engine, "commit", _seal):
        event.remove(Engine, "before_cursor_execute", _marks)
        event.remove(Engine, "commit", _seal)
        event.remove(Engine, "rollback", _forget)


install()
