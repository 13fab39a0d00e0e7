"""The sweep: what the plan's clock does by itself, run every few minutes by the server and by
``fuzhi sweep`` from cron.

Each task works through its cases in chunks; a chunk is one transaction holding the steps, the
marks that say they were done (a state, an ``overdue`` flag, a ``sweep_event`` row, a
contract's ``subsidy_through``) and the notices about them. So a run killed at any point
leaves whole chunks done and the rest untouched, and the next run picks up exactly there:
running it again changes nothing more. Only one sweep works at a time: on PostgreSQL an
advisory lock (and ``SKIP LOCKED`` reads besides), on SQLite a lock file beside the database.

Steps are fired on the shared machine as the system actor, one history row each. Each area's
tasks live with the area (``contracts.scheduled``, ``claims.scheduled``, ``notices.scheduled``,
and ``sweep.overdue`` for the waits of every workflow); this module runs them, in the order of
``TASKS``, under the lock, and keeps the run log.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from ..access.scheduled import forget_sign_in_traces
from ..audit.scheduled import send_audit_head
from ..claims.scheduled import expire_claims, open_post_claims
from ..contracts.scheduled import expire_contracts, send_reminders
from ..db import Database
from ..idempotency.scheduled import forget_form_outcomes
from ..notices.scheduled import deliver_email
from .chunks import ChunkHook, SweepOptions, SweepReport
from .models import SweepRun
from .overdue import flag_overdue

log = logging.getLogger("fuzhi.sweep")
CHUNK = 1000
ADVISORY_LOCK_KEY = 0x66757A68  # "fuzh"

Task = Callable[[Database, SweepReport, SweepOptions], None]
# One run's tasks, in order: contracts end before their last months are claimed and before
# anyone is reminded of them; returned claims expire before waits are flagged; the e-mail goes
# last, with every notice the run wrote; forms sent days ago are forgotten at any point.
TASKS: tuple[Task, ...] = (
    expire_contracts,
    expire_claims,
    flag_overdue,
    send_reminders,
    open_post_claims,
    forget_form_outcomes,
    forget_sign_in_traces,
    send_audit_head,
    deliver_email,
)


class SweepInterrupted(RuntimeError):
    """Raised by a test hook to stop a run in the middle, as a crash would."""


def run_sweep(
    db: Database,
    *,
    runner: str = "",
    chunk: int = CHUNK,
    smtp: Any = None,
    base_url: str = "",
    after_chunk: ChunkHook | None = None,
) -> SweepReport:
    """One full sweep; returns what it did, or ``skipped`` when another sweep is running.
    ``smtp`` (``SmtpSettings``) e-mails the notices; ``base_url`` makes their links absolute."""
    report = SweepReport()
    with _exclusive(db) as acquired:
        if not acquired:
            report.skipped = True
            return report
        now = db.clock.now()
        runner = runner or f"{socket.gethostname()}:{os.getpid()}"
        with db.transaction() as s:
            # Holding the lock, any run still open is one whose process died mid-way.
            s.execute(
                update(SweepRun)
                .where(SweepRun.finished_at.is_(None), SweepRun.error.is_(None))
                .values(error="运行中断（进程退出），已完成的部分有效，其余由之后的运行完成")
            )
            run = SweepRun(started_at=now, runner=runner[:60], counts={})
            s.add(run)
            s.flush()
            report.run_id = run.id
        opts = SweepOptions(chunk, after_chunk or (lambda _name: None), smtp, base_url)
        try:
            for task in TASKS:
                task(db, report, opts)
        except BaseException as exc:
            with db.transaction() as s:
                s.execute(
                    update(SweepRun)
                    .where(SweepRun.id == report.run_id)
                    .values(
                        finished_at=db.clock.now(),
                        counts=dict(report.counts),
                        error=f"{type(exc).__name__}: {exc}"[:500],
                    )
                )
            raise
        with db.transaction() as s:
            s.execute(
                update(SweepRun)
                .where(SweepRun.id == report.run_id)
                .values(finished_at=db.clock.now(), counts=dict(report.counts))
            )
    log.info("清扫完成：%s", report.summary())
    return report


# --- one sweep at a time ------------------------------------------------------------------

_local_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


@contextlib.contextmanager
def _exclusive(db: Database) -> Iterator[bool]:
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}))
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                    conn.commit()
        return
    # SQLite: a lock file beside the database serves several processes (the server and cron);
    # a lock per database serves threads in one process, where flock would not exclude.
    path = db.engine.url.database
    key = path or ":memory:"
    local = _local_locks[key]
    if not local.acquire(blocking=False):
        yield False
        return
    try:
        if not path or path == ":memory:":
            yield True
            return
        with open(Path(path).with_name(Path(path).name + ".sweep.lock"), "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        local.release()


def last_runs(session: Session, limit: int = 10) -> Sequence[SweepRun]:
    return session.scalars(select(SweepRun).order_by(SweepRun.id.desc()).limit(limit)).all()
