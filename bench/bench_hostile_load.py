"""Hostile load on a real server (issue 14 §5): ``/health`` and the HR inbox sampled every 50 ms,
first with nothing else going on, then while 40 hostile uploads (spreadsheet bombs), 20 PDF
downloads (审批表) and, with ``--legit``, 40 legitimate 5,000-row dry runs are sent at once.

    .venv/bin/python bench/bench_hostile_load.py [--runs 3] [--idle 8] [--legit] [--workers N]

The server is uvicorn in a subprocess (one server process, as ``make run`` starts it) on a
fresh SQLite database with the demo county, its heavy work in ``--workers`` processes
(``FUZHI_HEAVY_WORKERS``; 0 runs it in the request's thread, as before issue 14). Each
sampler is a thread of this process with its own connection; a sample is the wall time of one
GET, the next starts 50 ms after the previous one started (or at once if it took longer).
Prints the machine, each run's figures, and the median over the runs as a Markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")

import httpx  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOW = datetime(2026, 11, 28, 10)
SECRET = "bench-hostile-secret-0123456789abcdef"


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, load {load[0]:.1f} at start"


@dataclass
class Setup:
    url: str
    token: str
    hr: tuple[str, str]
    claims: list[int]  # claims of the agent's organisation with an approval form
    process: subprocess.Popen[bytes]
    log: Path


def prepare(work: Path) -> tuple[str, str, tuple[str, str]]:
    """A migrated database with the demo county; an agent's token and HR's sign-in."""
    from cli import upgrade
    from demo import load_demo
    from store.access.users import create_token
    from store.db import Database
    from store.models import User
    from workflow.clock import FrozenClock

    url = f"sqlite:///{work / 'fuzhi.db'}"
    upgrade(url)
    db = Database.connect(url, SECRET.encode(), FrozenClock(NOW))
    report = load_demo(db)
    agent = next(u for u in report.logins if "agent" in u.roles and u.organisation)
    hr = next(u for u in report.logins if u.roles == ("hr",) or "hr" in u.roles)
    with db.transaction() as s:
        user = s.query(User).filter_by(username=agent.username).one()
        token = create_token(s, db, user)
    db.engine.dispose()
    return url, token, (hr.username, hr.password)


def start(work: Path, url: str, workers: int) -> tuple[str, subprocess.Popen[bytes], Path]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FUZHI_SECRET_KEY": SECRET,
        "FUZHI_DATA_DIR": str(work),
        "FUZHI_CLOCK": NOW.isoformat(),
        "FUZHI_SWEEP_MINUTES": "0",
        "FUZHI_HEAVY_WORKERS": str(workers),
        "FUZHI_INSECURE_COOKIES": "1",  # plain http on 127.0.0.1
    }
    log = work / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace"))
        time.sleep(0.2)
    time.sleep(3 if workers else 0)  # the pool warms up in the background as the server starts
    return base, process, log


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', html))


def signed_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    form = client.get("/login").text
    r = client.post("/login", data={**hidden_fields(form), "username": username, "password": password})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert client.get("/inbox").status_code == 200
    return client


def approval_claims(base: str, token: str, want: int = 20) -> list[int]:
    """Claims of the agent's organisation whose 审批表 can be downloaded (checked once)."""
    auth = {"Authorization": f"Bearer {token}"}
    found: list[int] = []
    with httpx.Client(base_url=base, timeout=120, headers=auth) as client:
        items = client.get("/api/v1/claims", params={"limit": 200}).json()["items"]
        for item in items:
            if client.get(f"/api/v1/claims/{item['id']}/documents/approval_form").status_code == 200:
                found.append(item["id"])
            if len(found) >= 5:
                break
    assert found, "no claim with an approval form"
    return [found[i % len(found)] for i in range(want)]


def hostile_files() -> list[tuple[str, bytes]]:
    from tests import bombs

    made = {
        "far_row": bombs.far_row(),
        "inflating_1GB": bombs.inflating(1.0),
        "many_members": bombs.many_members(),
        "lying_dimension": bombs.lying_dimension(),
        "shared_strings": bombs.shared_strings(),
        "far_column": bombs.far_column(),
    }
    order = ["far_row"] * 10 + ["inflating_1GB"] * 10 + ["many_members"] * 5
    order += ["lying_dimension"] * 5 + ["shared_strings"] * 5 + ["far_column"] * 5
    return [(name, made[name]) for name in order]


def legit_list() -> bytes:
    from bench.bench_lists import rows_for, xlsx

    _persons, table = rows_for(5000)
    return xlsx(table)


@dataclass
class Samples:
    health: list[float] = field(default_factory=list)
    inbox: list[float] = field(default_factory=list)
    inbox_server: list[float] = field(default_factory=list)  # Server-Timing: inside the app
    failures: int = 0


def sample(
    base: str, hr: httpx.Client, stop: threading.Event, every: float = 0.05
) -> tuple[Samples, list[threading.Thread]]:
    samples = Samples()

    def loop(get: Callable[[], httpx.Response], into: list[float], inside: list[float] | None = None) -> None:
        while not stop.is_set():
            began = time.perf_counter()
            try:
                r = get()
                ok = r.status_code == 200
                if inside is not None and (
                    timing := re.search(r"dur=([0-9.]+)", r.headers.get("server-timing", ""))
                ):
                    inside.append(float(timing.group(1)))
            except httpx.HTTPError:
                ok = False
            into.append((time.perf_counter() - began) * 1000)
            samples.failures += not ok
            time.sleep(max(0.0, every - (time.perf_counter() - began)))

    health = httpx.Client(base_url=base, timeout=120)
    threads = [
        threading.Thread(target=loop, args=(lambda: health.get("/health"), samples.health)),
        threading.Thread(target=loop, args=(lambda: hr.get("/inbox"), samples.inbox, samples.inbox_server)),
    ]
    for t in threads:
        t.start()
    return samples, threads


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def figures(values: list[float]) -> tuple[float, float, float, int]:
    return statistics.median(values), pct(values, 0.95), max(values), len(values)


def send_load(
    url: str,
    token: str,
    hostile: list[tuple[str, bytes]],
    claims: list[int],
    legit: bytes | None,
    answers: Any,
    nice: int = 0,
) -> None:
    """All at once: each upload and download on a thread of its own; the statuses counted.
    ``nice``: the sender's priority (``--client-nice``; clients are other machines in use)."""
    if nice:
        os.nice(nice)
    auth = {"Authorization": f"Bearer {token}"}
    statuses: dict[str, dict[int, int]] = {}
    lock = threading.Lock()

    def note(kind: str, status: int) -> None:
        with lock:
            statuses.setdefault(kind, {}).setdefault(status, 0)
            statuses[kind][status] += 1

    def upload(item: tuple[str, bytes]) -> None:
        name, content = item
        files = {"file": (f"{name}.xlsx", content, XLSX)}
        r = httpx.post(
            f"{url}/api/v1/lists/", headers=auth, files=files, data={"dry_run": "true"}, timeout=600
        )
        note("legit" if name == "legit" else "hostile", r.status_code)

    def download(claim_id: int) -> None:
        r = httpx.get(f"{url}/api/v1/claims/{claim_id}/documents/approval_form", headers=auth, timeout=600)
        note("pdf", r.status_code)

    jobs: list[Callable[[], None]] = [lambda item=item: upload(item) for item in hostile]  # type: ignore[misc]
    jobs += [lambda c=c: download(c) for c in claims]  # type: ignore[misc]
    if legit is not None:
        jobs += [lambda: upload(("legit", legit)) for _ in range(40)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        list(pool.map(lambda job: job(), jobs))
    answers.put(statuses)


def one_run(
    setup: Setup,
    hr: httpx.Client,
    hostile: list[tuple[str, bytes]],
    legit: bytes | None,
    idle: float,
    client_nice: int = 0,
) -> dict[str, object]:
    stop = threading.Event()
    quiet, threads = sample(setup.url, hr, stop)
    time.sleep(idle)
    stop.set()
    for t in threads:
        t.join()
    stop = threading.Event()
    loaded, threads = sample(setup.url, hr, stop)
    began = time.perf_counter()
    # The load is sent from a process of its own: its threads encoding 60 bodies would otherwise
    # hold this process's GIL and delay the samplers, and the delay would be counted as the server's.
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    sender = context.Process(
        target=send_load, args=(setup.url, setup.token, hostile, setup.claims, legit, answers, client_nice)
    )
    sender.start()
    statuses = answers.get()
    sender.join()
    took = time.perf_counter() - began
    time.sleep(max(0.0, idle - took))
    stop.set()
    for t in threads:
        t.join()
    return {
        "quiet_health": figures(quiet.health),
        "quiet_inbox": figures(quiet.inbox),
        "load_health": figures(loaded.health),
        "load_inbox": figures(loaded.inbox),
        "quiet_inbox_server": figures(quiet.inbox_server),
        "load_inbox_server": figures(loaded.inbox_server),
        "load_seconds": took,
        "statuses": statuses,
        "failures": quiet.failures + loaded.failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--idle", type=float, default=8.0, help="seconds sampled without load (and at least as long with)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--legit", action="store_true", help="also 40 legitimate 5,000-row dry runs")
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="run the load's sender at this lower priority (in use its clients are other machines; "
        "here they share the server's cores)",
    )
    args = parser.parse_args()
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="fuzhi-hostile-"))
    url, token, hr_login = prepare(work)
    hostile = hostile_files()
    legit = legit_list() if args.legit else None
    base, process, log = start(work, url, args.workers)
    try:
        claims = approval_claims(base, token)
        setup = Setup(base, token, hr_login, claims, process, log)
        hr = signed_in(base, *hr_login)
        runs = []
        for n in range(args.runs):
            result = one_run(setup, hr, hostile, legit, args.idle, args.client_nice)
            runs.append(result)
            print(f"run {n + 1}: {result}", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    legit_runs = 40 if legit else 0
    print(
        f"\nheavy workers: {args.workers}; hostile uploads: {len(hostile)}; PDFs: 20; legit: {legit_runs}; "
        f"sender nice: {args.client_nice}"
    )
    print("| what | p50 ms | p95 ms | max ms | samples |")
    print("|---|---|---|---|---|")
    for key, label in [
        ("quiet_health", "`/health`, no load"),
        ("load_health", "`/health`, under load"),
        ("quiet_inbox", "inbox (HR), no load"),
        ("load_inbox", "inbox (HR), under load"),
        ("quiet_inbox_server", "inbox, Server-Timing (inside the app), no load"),
        ("load_inbox_server", "inbox, Server-Timing (inside the app), under load"),
    ]:
        values = [r[key] for r in runs]
        med = [statistics.median(v[i] for v in values) for i in range(4)]  # type: ignore[index]
        print(f"| {label} | {med[0]:.1f} | {med[1]:.1f} | {med[2]:.1f} | {med[3]:.0f} |")
    print(f"load took (median) {statistics.median(r['load_seconds'] for r in runs):.1f} s")  # type: ignore[misc]


if __name__ == "__main__":
    main()
