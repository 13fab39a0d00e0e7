"""The database handle: engine, sessions, and what every service needs (clock, vault, a memo)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..clock import Clock, SystemClock, clock_from_env
from ..pii import Vault


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
    def connect(cls, url: str, secret: bytes, clock: Clock | None = None) -> Database:
        return cls(make_engine(url), Vault(secret), clock or clock_from_env())

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits at the end, rolls back on any error."""
        with self.sessions.begin() as session:
            yield session
