"""A real server for end-to-end tests: uvicorn in a subprocess on a freshly migrated database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli import upgrade
from store.db import Database
from workflow.clock import CLOCK_ENV, FrozenClock

ROOT = Path(__file__).resolve().parents[1]
SECRET = "live-server-test-secret-0123456789"


@dataclass
class LiveServer:
    url: str
    db: Database
    log: Path
    process: subprocess.Popen[bytes] | None = None
    work: Path | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    extra_env: dict[str, str] | None = None,
    prepare: Callable[[Database], object] | None = None,
    clock: FrozenClock | None = None,
    work: Path | None = None,
    start_within: float = 30,
) -> Iterator[LiveServer]:
    """SQLite in a temp dir (each run its own database), served by uvicorn on a free port;
    ``prepare`` fills the database before the server starts. The server's clock stands where
    the test's ``clock`` stands when it starts (the suite's moment by default), never at today.
    ``work``: serve the database of an earlier server (one that was killed) again;
    ``start_within``: seconds the server has to answer ``/health`` (more on a loaded machine)."""
    from .conftest import TEST_NOW

    clock = clock or FrozenClock(TEST_NOW)
    work = work or Path(tempfile.mkdtemp(prefix="fuzhi-live-"))
    url = f"sqlite:///{work / 'fuzhi.db'}"
    upgrade(url)
    db = Database.connect(url, SECRET.encode(), clock)
    if prepare is not None:
        prepare(db)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FUZHI_SECRET_KEY": SECRET,
        "FUZHI_DATA_DIR": str(work),
        CLOCK_ENV: clock.now().isoformat(),
        **(extra_env or {}),
    }
    log = work / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_within
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield LiveServer(base, db, log, proc, work)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        db.engine.dispose()
