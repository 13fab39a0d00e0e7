"""The pool heavy work runs in (store/heavy.py): what a worker raises comes back as itself; a
worker that dies, hangs or grows too big gives a clean, retryable problem and the next job runs;
past its capacity a request is answered 503 with Retry-After at once, never queued without bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from store import heavy
from store.access.users import create_token
from store.heavy import Busy, HeavyPool, HeavySettings, TooComplex
from store.models import ClaimList, User
from web.app import create_app
from workflow.errors import ValidationFailed

from . import bombs, heavy_jobs
from .api_support import Api
from .builders import county

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def pool() -> Iterator[HeavyPool]:
    pool = HeavyPool(HeavySettings(workers=1, waiting=1, timeout=20, memory_mb=1024))
    yield pool
    pool.shutdown()


def test_jobs_run_in_another_process_and_refusals_come_back_whole(pool: HeavyPool) -> None:
    import os

    assert pool.run(heavy_jobs.pid) != os.getpid()
    with pytest.raises(ValidationFailed) as err:
        pool.run(heavy_jobs.refuse)
    assert (type(err.value).__name__, err.value.code, err.value.status) == (
        "LimitExceeded",
        "validation.list_too_many_rows",
        413,
    )
    assert (err.value.message, err.value.details) == ("第9行有内容", {"field": "file", "limit": 8})


def test_a_worker_that_dies_is_a_retryable_503_and_the_next_job_runs(pool: HeavyPool) -> None:
    with pytest.raises(Busy) as err:
        pool.run(heavy_jobs.die)
    assert (err.value.code, err.value.status, err.value.retry_after) == ("server.worker_lost", 503, 5)
    assert pool.run(heavy_jobs.sleep, 0) == 0


def test_a_worker_killed_from_outside_mid_job(pool: HeavyPool) -> None:
    import os
    import signal

    first = pool.run(heavy_jobs.pid)
    killer = threading.Timer(0.5, lambda: os.kill(first, signal.SIGKILL))
    killer.start()
    with pytest.raises(Busy) as err:
        pool.run(heavy_jobs.sleep, 30)
    assert err.value.code == "server.worker_lost"
    assert pool.run(heavy_jobs.pid) != first


def test_a_job_that_needs_more_memory_than_a_worker_may_take(pool: HeavyPool) -> None:
    with pytest.raises(TooComplex) as err:
        pool.run(heavy_jobs.hog, 2048)
    assert (err.value.code, err.value.status) == ("server.too_complex", 413)
    assert pool.run(heavy_jobs.hog, 16) == 16 * 1024 * 1024


def test_a_job_past_its_time_is_stopped() -> None:
    pool = HeavyPool(HeavySettings(workers=1, waiting=0, timeout=1))
    try:
        pool.warm()  # a worker's start (its imports) is not a job's time
        stuck = pool.run(heavy_jobs.pid)
        with pytest.raises(Busy) as err:
            pool.run(heavy_jobs.sleep, 60)
        assert err.value.code == "server.worker_lost" and "1秒" in err.value.message
        pool.warm()  # a new worker
        assert pool.run(heavy_jobs.pid) != stuck
    finally:
        pool.shutdown()


def test_the_pool_is_renewed_after_its_jobs_and_no_job_is_left_waiting() -> None:
    """Many jobs at once, far more than ``tasks_per_child``: every one is answered (Python's own
    ``max_tasks_per_child`` left queued jobs waiting for ever on 3.11, CPython gh-115634), by
    more than one generation of workers."""
    # The default timeout: a job's time includes waiting for a new worker to start (its imports
    # take seconds on a busy machine).
    pool = HeavyPool(HeavySettings(workers=1, waiting=40, tasks_per_child=4))
    pids: list[int] = []
    errors: list[BaseException] = []

    def job() -> None:
        try:
            pids.append(pool.run(heavy_jobs.pid))
        except BaseException as exc:  # a hang would come back as server.worker_lost
            errors.append(exc)

    try:
        for _ in range(2):  # two waves of 8 at once
            threads = [threading.Thread(target=job) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        assert errors == [] and len(pids) == 16
        assert len(set(pids)) >= 3  # at most 4 jobs a worker
    finally:
        pool.shutdown()


def hold(pool: HeavyPool, slots: int) -> tuple[threading.Event, list[threading.Thread]]:
    """``slots`` jobs that wait (in the calling threads: an inline pool) until released."""
    release = threading.Event()
    started = threading.Barrier(slots + 1)

    def job() -> None:
        started.wait()
        release.wait(10)

    threads = [threading.Thread(target=pool.run, args=(job,)) for _ in range(slots)]
    for t in threads:
        t.start()
    started.wait()
    return release, threads


def test_past_its_capacity_the_pool_refuses_at_once() -> None:
    pool = HeavyPool(HeavySettings(workers=0, waiting=2))
    release, threads = hold(pool, 3)
    try:
        with pytest.raises(Busy) as err:
            pool.run(heavy_jobs.sleep, 0)
        assert (err.value.code, err.value.status, err.value.retry_after) == ("server.busy", 503, 5)
        assert "3个" in err.value.message
    finally:
        release.set()
        for t in threads:
            t.join()
    assert pool.run(heavy_jobs.sleep, 0) == 0


def a_list() -> dict[str, tuple[str, bytes, str]]:
    """A list that passes the early checks, so that reading it needs the pool."""
    return {"file": ("清单.csv", "姓名,身份证号,补贴类型\n扎西,1,2\n".encode(), "text/csv")}


@pytest.fixture
def default_pool_after() -> Iterator[None]:
    """The app below makes a pool of capacity 1 the current one: the next tests get the usual."""
    yield
    heavy.configure(HeavySettings.from_env())


def test_the_api_answers_503_with_retry_after_and_keeps_no_idempotent_answer(
    db, tmp_path, default_pool_after
) -> None:
    c = county(db)
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, c.agent.user_id))
    app = create_app(db, files=tmp_path / "files", heavy=HeavySettings(workers=0, waiting=0))
    with TestClient(app) as client:
        api = Api(client, c, token, token)
        release, threads = hold(heavy.current(), 1)
        headers = {"Idempotency-Key": "list-1"}
        try:
            r = api.post("/api/v1/lists/", files=a_list(), data={"dry_run": "true"}, headers=headers)
            assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "server.busy" and "请5秒后重试" in r.json()["detail"]
            assert api.get("/health").status_code == 200
        finally:
            release.set()
            for t in threads:
                t.join()
        again = api.post("/api/v1/lists/", files=a_list(), data={"dry_run": "true"}, headers=headers)
        assert again.status_code == 201 and again.json()["rows_refused"] == 1, again.text
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ClaimList)) == 1  # the retry's, only


def test_a_real_server_refuses_bombs_at_once_and_answers_health_meanwhile() -> None:
    """uvicorn with two worker processes: 24 bombs at once, each refused (413); ``/health``
    asked all the while answers every time (its latency is measured in bench/, not here)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from .live_server import live_server

    tokens: list[str] = []

    def prepare(db) -> None:  # type: ignore[no-untyped-def]
        c = county(db)
        with db.transaction() as s:
            tokens.append(create_token(s, db, s.get(User, c.agent.user_id)))

    hostile = [bombs.far_row(), bombs.lying_dimension(), bombs.many_members(), bombs.far_column()] * 6
    env = {"FUZHI_HEAVY_WORKERS": "2", "FUZHI_HEAVY_WAITING": "30"}
    with live_server(env, prepare=prepare) as live:
        auth = {"Authorization": f"Bearer {tokens[0]}"}
        done = threading.Event()
        health: list[int] = []

        def watch() -> None:
            with httpx.Client(base_url=live.url, timeout=30) as client:
                while not done.is_set():
                    health.append(client.get("/health").status_code)

        def send(content: bytes) -> tuple[int, str]:
            r = httpx.post(
                f"{live.url}/api/v1/lists/",
                headers=auth,
                files={"file": ("清单.xlsx", content, XLSX)},
                data={"dry_run": "true"},
                timeout=120,
            )
            return r.status_code, r.json()["code"]

        watcher = threading.Thread(target=watch)
        watcher.start()
        with ThreadPoolExecutor(len(hostile)) as senders:
            answers = list(senders.map(send, hostile))
        done.set()
        watcher.join()
    assert {status for status, _code in answers} == {413}, answers
    assert {code for _status, code in answers} == {
        "validation.list_too_many_rows",
        "validation.list_zip_members",
        "validation.list_too_many_columns",
    }
    assert health and set(health) == {200}
