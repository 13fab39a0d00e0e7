"""Test databases: a migrated SQLite file per test by default, or the PostgreSQL that
DATABASE_URL names (migrated once, emptied between tests); the demo county for the tests that
ask for ``demo``; and the fixtures many modules share (``c``, ``on_28_november_2026``, ``browser``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")  # before store.access.users loads
os.environ.setdefault("FUZHI_SWEEP_MINUTES", "0")  # tests run the sweep themselves
# A master key made by `fuzhi setup` or `fuzhi demo` in a test goes to a directory of the
# run's own, never to ~/.config/fuzhi (workflow.config.secret_file).
os.environ.setdefault(
    "FUZHI_SECRET_FILE", os.path.join(tempfile.mkdtemp(prefix="fuzhi-test-keys-"), "master.key")
)
os.environ.setdefault("FUZHI_HEAVY_WORKERS", "0")  # heavy work in the request's thread (store/heavy.py)
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from store import all_models  # noqa: F401  (every table and its hooks, as the app has them)
from store.db import Database
from workflow.clock import CLOCK_ENV, FrozenClock, parse_moment
from workflow.roles import Actor

from .browser_support import chromium
from .builders import County, add_admin, county

TEST_SECRET = b"fuzhi-test-secret-not-for-production"
# The moment the suite lives at (Beijing time). FUZHI_TEST_NOW moves the whole suite: CI runs it
# again at 2027-01-04 09:00, a year with no policy year seeded and no official calendar.
TEST_NOW: datetime = parse_moment(os.environ.get("FUZHI_TEST_NOW") or "2026-11-28T10:00")
# Anything that builds a Database without a clock, and every process a test starts (live
# servers, `fuzhi sweep`), reads this instead of the wall clock: no test sees today's date.
os.environ[CLOCK_ENV] = TEST_NOW.isoformat()
PG_HINT = "DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Tables whose rows the migrations seed: kept when PostgreSQL is emptied between tests.
SEEDED = {"alembic_version", "policy_year", "policy_params_version", "plan_baseline"}
SEEDED_YEARS: list[int] = []  # the policy years the migration seeds (PostgreSQL runs)
SEEDED_BASELINES: list[dict[str, object]] = []  # the plan baselines it seeds


def configured_url() -> str | None:
    return os.environ.get("DATABASE_URL") or None


def is_postgres() -> bool:
    return (configured_url() or "").startswith("postgresql")


def migrate(url: str) -> None:
    from alembic import command

    from cli import alembic_config

    command.upgrade(alembic_config(url), "head")


_EMPTIERS: dict[str, Any] = {}


def empty_postgres(url: str) -> None:
    """Empty every table but the seeded ones (TRUNCATE passes the history triggers by) and
    start every id sequence again. Only the tables a test wrote to are truncated: TRUNCATE of
    all fifty took 0.1 s after each of some 3,000 tests."""
    engine = _EMPTIERS.get(url) or _EMPTIERS.setdefault(url, create_engine(url, poolclass=NullPool))
    with engine.begin() as conn:
        tables = [
            t
            for t in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            .scalars()
            .all()
            if t not in SEEDED
        ]
        if tables:
            written = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
            dirty = conn.execute(text(written)).scalars().all()
            if dirty:
                conn.execute(text(f"TRUNCATE {', '.join(dirty)} RESTART IDENTITY CASCADE"))
        # A sequence a rolled-back insert moved, on a table left empty: from 1 again.
        for (name,) in conn.execute(
            text(
                "SELECT schemaname || '.' || sequencename FROM pg_sequences "
                "WHERE last_value IS NOT NULL AND schemaname = 'public'"
            )
        ):
            if not any(name == f"public.{t}_id_seq" for t in SEEDED):
                conn.execute(text(f"ALTER SEQUENCE {name} RESTART"))
        # The audit log's chain head, as the migration left it: no entry yet.
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash, floors) VALUES (1, 0, :h, '{}')"), {"h": "0" * 64}
        )
        # A test may add a policy year (time travel into 2027); the migration's own stay.
        if SEEDED_YEARS:
            conn.execute(
                text("DELETE FROM policy_year WHERE NOT (year = ANY(:years))"), {"years": SEEDED_YEARS}
            )
        # A test may edit a seeded year (a new parameter set): back to the migration's own.
        conn.execute(
            text(
                "UPDATE policy_year y SET current_version_id = (SELECT min(v.id) "
                "FROM policy_params_version v WHERE v.year = y.year)"
            )
        )
        conn.execute(
            text(
                "UPDATE policy_year y SET params = (SELECT v.params FROM "
                "policy_params_version v WHERE v.id = y.current_version_id)"
            )
        )
        conn.execute(
            text(
                "DELETE FROM policy_params_version WHERE id NOT IN "
                "(SELECT current_version_id FROM policy_year)"
            )
        )
        # A test may set or change the plan's baseline: back to the migration's rows.
        conn.execute(text("DELETE FROM plan_baseline"))
        if SEEDED_BASELINES:
            conn.execute(
                text(
                    "INSERT INTO plan_baseline (year, low_income_people, labour_force, "
                    "updated_by, updated_at) VALUES (:year, :low_income_people, "
                    ":labour_force, :updated_by, :updated_at)"
                ),
                SEEDED_BASELINES,
            )


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a template SQLite file, or the configured PostgreSQL."""
    if is_postgres():
        url = configured_url()
        assert url is not None
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        migrate(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            SEEDED_YEARS[:] = conn.execute(text("SELECT year FROM policy_year")).scalars().all()
            SEEDED_BASELINES[:] = [
                dict(r)
                for r in conn.execute(
                    text(
                        "SELECT year, low_income_people, labour_force, updated_by, updated_at "
                        "FROM plan_baseline"
                    )
                ).mappings()
            ]
        engine.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def demo_templates(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[[datetime], str]:
    """SQLite files holding the demo county, each loaded once per session for the moment it is
    asked for (the suite's clock, TEST_NOW, unless a module sets its own day)."""
    from demo import load_demo

    made: dict[datetime, str] = {}

    def at(moment: datetime) -> str:
        if moment not in made:
            path = tmp_path_factory.mktemp("demo") / "demo.db"
            shutil.copy(template_db, path)
            database = Database.connect(f"sqlite:///{path}", TEST_SECRET, FrozenClock(moment))
            load_demo(database)
            with database.engine.connect() as conn:  # all of it in the file, none in the WAL
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database.engine.dispose()
            made[moment] = str(path)
        return made[moment]

    return at


@pytest.fixture
def db_url(template_db: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated, empty database for one test; on SQLite, a copy of the demo county's
    file for a test that asks for ``demo``."""
    if is_postgres():
        yield template_db
        empty_postgres(template_db)
        return
    path = tmp_path / "fuzhi.db"
    source = template_db
    if "demo" in request.fixturenames:
        clock: FrozenClock = request.getfixturevalue("clock")
        source = request.getfixturevalue("demo_templates")(clock.now())
    shutil.copy(source, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TEST_NOW)


@pytest.fixture
def db(db_url: str, clock: FrozenClock) -> Iterator[Database]:
    database = Database.connect(db_url, TEST_SECRET, clock)
    yield database
    database.engine.dispose()


@pytest.fixture
def demo(db: Database) -> Database:
    """``db`` holding the demo county at the test's clock (loaded as `fuzhi demo` does).

    On SQLite it is a copy of a file loaded once per session (``demo_templates``), so the tests
    may change it freely. On PostgreSQL, whose one database is emptied after every test, it is
    loaded into ``db`` for each test: a copied database would need CREATE DATABASE rights and a
    second URL for every process a test starts, for a handful of tests."""
    if is_postgres():
        from demo import load_demo

        load_demo(db)
    return db


@pytest.fixture
def c(db: Database) -> County:
    """The small county of tests/builders.py: two villages, a broker and an agency, one user per
    role (and a second of each where separation of duties needs one)."""
    return county(db)


@pytest.fixture
def admin(db: Database, c: County) -> Actor:
    """The administrator ``admin1`` of the county ``c``."""
    return add_admin(db)


@pytest.fixture
def on_28_november_2026(clock: FrozenClock) -> None:
    """For the modules written for Saturday 28 November 2026 (their deadlines, document and batch
    numbers and months are that day's): ``pytestmark = pytest.mark.usefixtures(...)`` sets the
    clock to it, whatever FUZHI_TEST_NOW says."""
    clock.current = datetime(2026, 11, 28, 10, 0)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium for a browser test module (tests/browser_support.py)."""
    with chromium() as launched:
        yield launched


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if is_postgres():
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL: run with {PG_HINT}")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "needs PostgreSQL" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} PostgreSQL tests SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"No PostgreSQL configured. Run them with: {PG_HINT} make test")


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1 (aiosmtpd) and the messages it received."""
    from .smtp_sink import running_sink

    yield from running_sink()
