"""Fault runs (issue 14, "Proof: faults"): a real server SIGKILLed at a random moment of a bulk list
upload or of finance's payment confirmation, served again on the same database with its clock past
the idempotency lease, the action repeated until it is answered; then what must hold is checked.
Shared by tests/test_fault_kills.py (a few kills) and bench/fault_kills.py (50 each, `make faults`).

The kills follow one another on one database (a copy of a prepared template): action k is sent to
the server, the server is killed, a new server is started on the same file with its clock one lease
later, action k is repeated until answered, then action k+1 goes to that server (a server start is
the slow part on this machine: one per kill). Action 0 runs uninterrupted and gives the duration;
each kill's moment is drawn from a seeded RNG over 0 to 1.3 times it, so kills land before the
request is handled, while it works, after it committed and after it answered. Where it landed
(``phase``) is read off the database the killed server left."""

from __future__ import annotations

import contextlib
import random
import re
import shutil
import signal
import sqlite3
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx

from cli import upgrade
from store.db import Database
from store.idempotency import keys
from workflow.clock import FrozenClock

from .live_server import SECRET, LiveServer, live_server

START = datetime(2026, 11, 28, 10, 0)
ENV = {"FUZHI_INSECURE_COOKIES": "1", "FUZHI_TEST_WEAK_PASSWORD_HASHES": "1", "FUZHI_SWEEP_MINUTES": "0"}
MAX_RETRIES = 8
SPREAD = 1.3  # kills drawn over 0 .. SPREAD × the uninterrupted action's duration


@dataclass
class Kill:
    """One kill: when (seconds after the request was sent), where it landed, what the retry took."""

    scenario: str
    delay: float
    phase: str = ""
    answered_before_kill: bool = False
    retries: int = 0
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Template:
    """A prepared database, copied for each kill, and what the scenario needs to know of it."""

    path: Path
    facts: dict[str, Any]

    def copy(self) -> Path:
        work = Path(tempfile.mkdtemp(prefix="fuzhi-fault-"))
        src, dst = sqlite3.connect(self.path), sqlite3.connect(work / "fuzhi.db")
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        return work


def prepare(fill: Callable[[Database], dict[str, Any]]) -> Template:
    """Migrate a fresh database, let ``fill`` load it (it returns the scenario's facts), keep it."""
    work = Path(tempfile.mkdtemp(prefix="fuzhi-fault-template-"))
    url = f"sqlite:///{work / 'fuzhi.db'}"
    upgrade(url)
    db = Database.connect(url, SECRET.encode(), FrozenClock(START))
    try:
        facts = fill(db)
    finally:
        db.engine.dispose()
    return Template(work / "fuzhi.db", facts)


@contextlib.contextmanager
def serving(work: Path, clock: datetime):  # type: ignore[no-untyped-def]
    with live_server(extra_env=ENV, clock=FrozenClock(clock), work=work, start_within=180) as server:
        yield server


def kill_during(server: LiveServer, send: Callable[[], Any], delay: float) -> Any:
    """Send the request in a thread, SIGKILL the server ``delay`` seconds later; the answer if
    one came before the kill, else None."""
    answer: list[Any] = []

    def run() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server was killed
            answer.append(send())

    sender = threading.Thread(target=run)
    sender.start()
    time.sleep(delay)
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    sender.join()
    return answer[0] if answer else None


def retry(
    send: Callable[[], httpx.Response], kill: Kill, ok: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """Repeat the action until it is answered with success (a 409 "in progress" or "retry" waits)."""
    for _ in range(MAX_RETRIES):
        kill.retries += 1
        r = send()
        if ok(r):
            return r
        if r.status_code != 409:
            kill.violations.append(f"retry answered {r.status_code}: {r.text[:300]}")
            return r
        time.sleep(0.2)
    kill.violations.append(f"still not answered after {MAX_RETRIES} retries")
    return r


def _succeeded(r: httpx.Response) -> None:
    assert 200 <= r.status_code < 300, r.text[:500]


def timed(action: Callable[[], Any]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


class Scenario(Protocol):
    """One kind of action, numbered k = 0, 1, ...: each a new list, or a new payout batch."""

    name: str

    def send(self, server: LiveServer, k: int) -> Callable[[], Any]: ...

    def killed(self, server: LiveServer, k: int, kill: Kill) -> None:
        """After the kill, on the killed server's database: set ``phase``, note violations."""

    def repeat(self, server: LiveServer, k: int, kill: Kill) -> None:
        """On the restarted server: repeat action k until answered, note violations."""


def moment(k: int) -> datetime:
    """The clock of the k-th server: each one lease after the one before."""
    return START + k * (keys.LEASE + timedelta(seconds=1))


def run_kills(
    scenario: Scenario, template: Template, kills: int, seed: int, log: Callable[[str], None] | None = None
) -> tuple[float, list[Kill]]:
    """Action 0 uninterrupted (its duration is the span), then ``kills`` kills, each at a moment
    drawn from ``seed`` over the span."""
    rng = random.Random(seed)
    work = template.copy()
    done: list[Kill] = []
    stack = contextlib.ExitStack()
    try:
        server = stack.enter_context(serving(work, moment(0)))
        send = scenario.send(server, 0)
        span = timed(lambda: _succeeded(send()))
        for k in range(1, kills + 1):
            kill = Kill(scenario.name, rng.uniform(0, SPREAD * span))
            started = time.monotonic()
            send = scenario.send(server, k)
            kill.answered_before_kill = kill_during(server, send, kill.delay) is not None
            scenario.killed(server, k, kill)
            stack.close()  # the killed server's database handle
            stack = contextlib.ExitStack()
            server = stack.enter_context(serving(work, moment(k)))
            scenario.repeat(server, k, kill)
            kill.seconds = time.monotonic() - started
            done.append(kill)
            if log:
                log(
                    f"{scenario.name} #{k}: kill at {kill.delay:.2f}s → {kill.phase}; "
                    f"requests after restart {kill.retries}; violations {kill.violations or 0}"
                )
    finally:
        stack.close()
        gone(work)
    return span, done


def summary(scenario: str, span: float, kills: list[Kill]) -> str:
    phases = Counter(k.phase for k in kills)
    retries = Counter(k.retries for k in kills)
    violations = [v for k in kills for v in k.violations]
    lines = [
        f"{scenario}: {len(kills)} kills; uninterrupted action {span:.2f}s; "
        f"kills drawn over 0–{SPREAD * span:.2f}s",
        "  phase where the kill landed: " + ", ".join(f"{p} {n}" for p, n in sorted(phases.items())),
        f"  answered before the kill: {sum(k.answered_before_kill for k in kills)}",
        "  requests until answered after restart: "
        + ", ".join(f"{r}: {n}" for r, n in sorted(retries.items())),
        f"  median seconds per kill (a server start included): "
        f"{statistics.median(k.seconds for k in kills):.1f}",
        f"  violations: {len(violations)}",
        *(f"    {v}" for v in violations[:20]),
    ]
    return "\n".join(lines)


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """The hidden fields (CSRF, once token) of the form with ``form_id`` on a page."""
    start = html.index(f'id="{form_id}"')
    form = html[start : html.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def signed_in(url: str, username: str, password: str = "password-123") -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    page = client.get("/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token, "the sign-in page has no CSRF field"
    fields = {"username": username, "password": password, "_csrf_token": token.group(1)}
    r = client.post("/login", data=fields)
    assert r.status_code == 303, r.text
    return client


def gone(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
