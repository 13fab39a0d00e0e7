"""The database handle: engine, sessions, and what every service needs (clock, vault, a memo).

The one unit-of-work rule
-------------------------
* **A service owns its one transaction.** A service is a function of the persistence layer
  whose first argument is ``db: Database``; it opens exactly one ``with db.transaction() as
  session:`` (commit at the end, rollback on any error) and returns plain values or loaded
  rows that need no session afterwards. Reads are services too (the case page, the inbox).
* **Its in-session twin composes.** The same work for a caller that already holds a
  transaction takes ``session`` as its first argument, never commits and never opens
  another; a service is then its twin wrapped in ``db.transaction()``. The pair is named so
  that the twin says what it does inside the unit (``file_claim``) and the service what the
  caller asks for (``submit_claim``).
* **Handlers open nothing.** Page and API handlers (``web/pages``, ``web/api``) parse the
  request, call one service, and render or map its domain errors; they get ``db`` by
  dependency injection, open no transaction and import neither SQLAlchemy nor an ORM model
  (``tests/test_thin_handlers.py``).
* Below the services only two pieces of machinery work on a ``Connection`` of their own:
  the engine's fast path for a single step (``transitions.transition``) and the sweep
  runner's locks and chunks (``sweep``). ``db.sessions`` is what ``transaction()`` is built
  on; the few plain reads still opened with it (the sweep's e-mail check, the renewal
  dispatch in ``transitions``, the CLI and the demo loader) are to move to
  ``transaction()`` with their modules.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import Clock, SystemClock, clock_from_env
from workflow.pii import Vault


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed step survives a power cut (WAL + NORMAL may lose the last ones).
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    pooling = {} if "poolclass" in kwargs else {"pool_size": 10, "max_overflow": 20}
    # No pre-ping: it costs a round trip per transaction; stale connections are recycled instead.
    # hide_parameters: a failing statement is logged without its values (names, phones).
    return create_engine(url, pool_recycle=1800, hide_parameters=True, **pooling, **kwargs)


def tighten_files(db: Database) -> None:
    """An SQLite database file, its -wal and -shm, readable by the service user only (files made
    by an older version, or before ``umask 077``, were world-readable)."""
    if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
        return
    name = db.engine.url.database
    if name == ":memory:" or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(name + suffix)
        if path.exists():
            path.chmod(0o600)


def tighten_tree(root: Path) -> None:
    """A directory of kept files (evidence, documents): directories 0700, files 0600."""
    if not root.exists():
        return
    root.chmod(0o700)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(folder, d), 0o700)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o600)


# What a lost database looks like: a connection killed or refused (the server restarted, an
# administrator's pg_terminate_backend, a network cut), the pool exhausted, SQLite busy past its
# timeout. The request cannot be answered now but may be a moment later: the pool has dropped
# the dead connection (SQLAlchemy invalidates every connection older than the failure), so a
# retry gets a fresh one. The web layer answers it with a retryable 503.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,
)


def database_unavailable(error: BaseException) -> bool:
    """``error`` is the database going away (not a bad statement): retrying may succeed."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, DATABASE_UNAVAILABLE)


@dataclass
class Database:
    engine: Engine
    vault: Vault
    clock: Clock = field(default_factory=SystemClock)
    sessions: sessionmaker[Session] = field(init=False)
    # What is read once and kept a while, by key, with the monotonic time it was read: the
    # calendar and time rules in force (``timecache``). Per database, so each test has its own.
    memo: dict[str, tuple[float, object]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def connect(
        cls,
        url: str,
        secret: bytes | Sequence[bytes],
        clock: Clock | None = None,
        reload: Callable[[], Sequence[bytes] | None] | None = None,
    ) -> Database:
        """``secret``: the master secret, or the key ring (current first); ``reload`` reads the
        ring again when the key file changes (``workflow.config.key_ring_reader``)."""
        return cls(make_engine(url), Vault(secret, reload), clock or clock_from_env())

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits at the end, rolls back on any error."""
        with self.sessions.begin() as session:
            yield session
