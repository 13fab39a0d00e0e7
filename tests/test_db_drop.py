"""A database connection dropped under a request (PostgreSQL: the backend killed with
pg_terminate_backend, idle in the pool or in the middle of a transaction) is answered with a
retryable 503 problem (code ``server.database_unavailable``, Retry-After), nothing half done,
and the retry succeeds; never a 500. A database that cannot be opened at all is a 503 as well."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, event, func, select, text

from store.access.users import create_token
from store.db import Database, make_engine
from store.models import Claim, User
from web.app import create_app
from workflow.clock import FrozenClock
from workflow.pii import Vault

from .builders import county, id_number
from .conftest import TEST_NOW, TEST_SECRET
from .page_support import sign_in


def assert_retryable(r: Any) -> None:
    assert r.status_code == 503, r.text[:300]
    assert int(r.headers["retry-after"]) >= 1
    if r.headers["content-type"].startswith("application/problem+json"):
        assert r.json()["code"] == "server.database_unavailable"


def test_a_database_that_cannot_be_opened_is_a_retryable_503(tmp_path: Path) -> None:
    gone = Database.connect(f"sqlite:///{tmp_path}/no/such/dir/fuzhi.db", TEST_SECRET, FrozenClock(TEST_NOW))
    with TestClient(create_app(gone, files=tmp_path / "files")) as client:
        assert_retryable(client.get("/health"))
        assert_retryable(client.get("/api/v1/claims", headers={"Authorization": "Bearer x"}))
        # Until the master key has been checked against the data, no page is served either.
        page = client.get("/login?next=/inbox", headers={"Accept": "text/html"})
        assert page.status_code == 503 and page.headers["retry-after"]


class Killable:
    """The app's own database, its connections named so that only they are killed (the test
    database is shared), and an administrator's connection to kill them with."""

    def __init__(self, url: str) -> None:
        self.name = f"fuzhi-drop-{uuid.uuid4().hex[:8]}"
        engine = make_engine(url, connect_args={"application_name": self.name})
        self.db = Database(engine, Vault(TEST_SECRET), FrozenClock(TEST_NOW))
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.armed: str | None = None

        @event.listens_for(engine, "before_cursor_execute")
        def kill_mid_transaction(conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
            if self.armed and self.armed in statement:
                self.armed = None
                self.kill(conn.connection.dbapi_connection.info.backend_pid)

    def kill(self, pid: int | None = None) -> int:
        """Terminate one backend of the app's, or every one of them."""
        where = "pid = :pid" if pid is not None else "application_name = :name"
        with self.admin.connect() as conn:
            return len(
                conn.execute(
                    text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {where}"),
                    {"pid": pid, "name": self.name},
                ).all()
            )

    def close(self) -> None:
        self.db.engine.dispose()
        self.admin.dispose()


@pytest.fixture
def killable(db_url: str) -> Iterator[Killable]:
    made = Killable(db_url)
    yield made
    made.close()


@pytest.mark.postgres
def test_connections_killed_while_idle_give_one_503_then_the_retry_succeeds(killable, tmp_path):
    db = killable.db
    c = county(db)
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, c.agent.user_id))
    hr = sign_in(db, "hr1")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(db, files=tmp_path / "files")) as client:
        assert client.get("/api/v1/claims", headers=auth).status_code == 200
        assert killable.kill() >= 1
        assert_retryable(client.get("/api/v1/claims", headers=auth))
        assert client.get("/api/v1/claims", headers=auth).status_code == 200  # the retry
        assert hr.get("/inbox").status_code == 200
        killable.kill()
        assert_retryable(hr.get("/inbox", headers={"Accept": "text/html"}))
        assert hr.get("/inbox").status_code == 200


@pytest.mark.postgres
def test_a_connection_killed_mid_transaction_files_nothing_and_the_retry_files_once(killable, tmp_path):
    db = killable.db
    c = county(db)
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, c.agent.user_id))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "drop-1"}
    body = {
        "subsidy_type": "labour_export_service",
        "id_number": id_number(),
        "facts": {"destination": "out_of_province", "employment_start": "2026-03-01"},
    }

    def filed() -> int:
        with db.transaction() as s:
            return s.scalar(select(func.count()).select_from(Claim)) or 0

    with TestClient(create_app(db, files=tmp_path / "files")) as client:
        registration = {
            **{k: body[k] for k in ("id_number",)},
            "name": "扎西",
            "village_code": "533422101001",
        }
        r = client.post(
            "/api/v1/persons",
            json={**registration, "target_groups": ["poverty_alleviated"]},
            headers={"Authorization": headers["Authorization"]},
        )
        assert r.status_code == 201, r.text
        killable.armed = "INSERT INTO claim "  # the claim's own row, inside the filing transaction
        assert_retryable(client.post("/api/v1/claims", json=body, headers=headers))
        assert killable.armed is None  # the kill really happened mid-request
        assert filed() == 0
        retry = client.post("/api/v1/claims", json=body, headers=headers)
        assert retry.status_code == 201, retry.text
        again = client.post("/api/v1/claims", json=body, headers=headers)
        assert (again.status_code, again.headers.get("idempotent-replayed")) == (201, "true")
        assert filed() == 1
