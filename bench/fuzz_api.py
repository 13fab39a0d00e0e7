"""Schemathesis over the whole agent API, the long run (``make fuzz``): every check, positive and
negative data, every phase (examples, coverage, fuzzing, stateful), at least 1,000 generated
cases per operation by default, against a real server (uvicorn) on a fresh SQLite database seeded
as the CI test seeds it (``tests/schema_support.py``) with an agent's token. The CI test is the
short run of the same checks (``tests/test_schemathesis.py``).

    python bench/fuzz_api.py                  # 1,000 cases per operation
    python bench/fuzz_api.py -n 200 --seed 7  # shorter, another seed

Prints Schemathesis' own report (cases per operation, failures) and exits with its status; the
JUnit report is kept beside the database (``--report-dir``)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn

from bench.databases import fresh_sqlite
from store.db import Database
from tests.conftest import TEST_NOW, TEST_SECRET  # the suite's clock and secret, weak hashes
from tests.schema_support import Seeded
from workflow.clock import FrozenClock

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(seed: Seeded) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(seed.app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("-n", "--max-examples", type=int, default=1000, help="cases per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="1", help="Schemathesis workers (the server shares the CPU)")
    args, extra = parser.parse_known_args()

    logging.disable(logging.INFO)  # the server's progress lines would bury Schemathesis' report
    work = Path(tempfile.mkdtemp(prefix="fuzhi-fuzz-"))
    db = Database.connect(fresh_sqlite(), TEST_SECRET, FrozenClock(TEST_NOW))
    seed = Seeded(db, work / "files")
    server, base = serve(seed)
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "run",
        f"{base}/schema/openapi.json",
        # Every check (Schemathesis runs all of them unless told otherwise; `--checks all` would
        # also override schemathesis.toml's one per-operation exception), the response-time one
        # with the 10 s limit `--checks all` gives it.
        "--max-response-time",
        "10",
        "--mode",
        "all",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        args.workers,
        "--header",
        f"Authorization: Bearer {seed.token}",
        "--report",
        "junit",
        "--report-dir",
        str(work / "report"),
        *extra,
    ]
    print(f"database and report in {work}", flush=True)
    try:
        return subprocess.call(command, env={**os.environ, "NO_COLOR": "1"})
    finally:
        server.should_exit = True
        db.engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
