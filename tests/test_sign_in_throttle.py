"""Sign-in throttling (issue 14 §11): a concurrent burst of wrong guesses gets no more evaluated
than the limit; a stranger guessing from another address cannot keep the owner out; the answer
for a name nobody has is the answer for a wrong password, throttled or not; the count lives in
the database, so two server processes on one database share it; and the limiter itself counts
exactly under threads."""

from __future__ import annotations

import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from store.access import Throttled, sign_in
from store.access.models import ThrottleBucket
from store.access.sessions import SignInRefused
from store.access.sign_in_limits import PER_ACCOUNT_AND_ADDRESS, PER_ADDRESS, address_of
from store.access.throttle import Window, limit

from .builders import county
from .live_server import live_server
from .page_support import PASSWORD, csrf_of

FREE = PER_ACCOUNT_AND_ADDRESS.free
PLAIN_HTTP = {"FUZHI_INSECURE_COOKIES": "1"}  # the CSRF cookie over http://127.0.0.1
TOKENS = re.compile(r'value="[A-Za-z0-9_\-.=]{20,}"')  # the form's CSRF and one-time tokens


def _client(base: str, address: str = "127.0.0.1") -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x.y.z is this machine)."""
    return httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _ready(base: str, address: str = "127.0.0.1") -> tuple[httpx.Client, str]:
    client = _client(base, address)
    return client, csrf_of(client.get("/login").text)


def _post(client: httpx.Client, token: str, username: str, password: str) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password, "_csrf_token": token})


def _try(base: str, username: str, password: str, address: str = "127.0.0.1") -> httpx.Response:
    client, token = _ready(base, address)
    try:
        return _post(client, token, username, password)
    finally:
        client.close()


def _burst(base: str, username: str, n: int = 20) -> list[int]:
    """``n`` wrong guesses sent at the same moment, each on its own connection."""
    ready = [_ready(base) for _ in range(n)]
    start = threading.Barrier(n)

    def guess(i: int) -> int:
        client, token = ready[i]
        start.wait()
        try:
            return _post(client, token, username, f"wrong-guess-{i}").status_code
        finally:
            client.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(guess, range(n)))


def test_a_concurrent_burst_gets_no_more_guesses_evaluated_than_the_limit() -> None:
    with live_server(prepare=county, extra_env=PLAIN_HTTP) as server:
        for name in ("hr1", "nobody-at-all"):  # a real account and a name nobody has: alike
            statuses = _burst(server.url, name)
            assert sorted(set(statuses)) == [401, 429], statuses
            assert statuses.count(401) == FREE, statuses  # evaluated: exactly the free guesses
        with server.db.transaction() as s:
            hits = s.scalars(
                select(ThrottleBucket.hits).where(ThrottleBucket.key.startswith("signin:"))
            ).all()
        assert sorted(hits) == [FREE, FREE]
        # The right password from the same address now waits too: no guess slips through.
        assert _try(server.url, "hr1", PASSWORD).status_code == 429


def test_a_stranger_cannot_lock_the_owner_out_from_another_address() -> None:
    with live_server(prepare=county, extra_env=PLAIN_HTTP) as server:
        stranger = [_try(server.url, "finance1", f"guess-{i}", "127.0.0.2").status_code for i in range(25)]
        assert stranger.count(401) == FREE and stranger[FREE:] == [429] * (25 - FREE)
        # The owner, from their own address, signs in at once.
        owner = _try(server.url, "finance1", PASSWORD, "127.0.0.1")
        assert owner.status_code == 303 and "fuzhi_session" in owner.headers.get("set-cookie", "")
        # The stranger's address is spent for every name (the per-address window), not the owner's.
        spread = [
            _try(server.url, f"name{i}", "guess", "127.0.0.3").status_code
            for i in range(PER_ADDRESS.limit + 3)
        ]
        assert spread.count(401) == PER_ADDRESS.limit and spread[-3:] == [429, 429, 429]
        assert _try(server.url, "hr1", PASSWORD, "127.0.0.1").status_code == 303


def test_the_throttled_state_holds_across_two_server_processes_on_one_database() -> None:
    with live_server(prepare=county, extra_env=PLAIN_HTTP) as first:
        assert [_try(first.url, "hr1", "wrong").status_code for _ in range(FREE)] == [401] * FREE
        with live_server(work=first.work, extra_env=PLAIN_HTTP) as second:
            assert second.process is not None and second.process.pid != first.process.pid  # type: ignore[union-attr]
            refused = _try(second.url, "hr1", PASSWORD)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            assert _try(first.url, "hr1", PASSWORD).status_code == 429
            # Another address is not held up on either server.
            assert _try(second.url, "hr1", PASSWORD, "127.0.0.4").status_code == 303


def _page_text(r: httpx.Response, username: str) -> str:
    return TOKENS.sub('value="…"', r.text).replace(f'value="{username}"', 'value="…"')


def test_a_name_nobody_has_is_answered_like_a_wrong_password(db, c) -> None:  # type: ignore[no-untyped-def]
    from litestar.testing import TestClient

    from web.app import create_app

    def attempt(username: str) -> httpx.Response:
        with TestClient(create_app(db, secure_cookies=False)) as client:
            token = csrf_of(client.get("/login").text)
            return client.post(
                "/login", data={"username": username, "password": "wrong-password", "_csrf_token": token}
            )

    for _ in range(FREE + 1):
        known, unknown = attempt("hr1"), attempt("hr-nobody")
        assert (known.status_code, known.headers.get("retry-after")) == (
            unknown.status_code,
            unknown.headers.get("retry-after"),
        )
        assert _page_text(known, "hr1") == _page_text(unknown, "hr-nobody")
    assert known.status_code == 429  # the sixth of each: throttled alike
    # Similar time: the name nobody has costs an argon2 hash as a wrong password does.
    times: dict[str, list[float]] = {"hr2": [], "hr-nobody2": []}
    for _ in range(4):
        for name in times:
            began = time.perf_counter()
            with pytest.raises(SignInRefused) as refused:
                sign_in(db, name, "wrong-password", "10.0.0.9")
            assert getattr(refused.value, "code", None) == "auth.invalid"
            times[name].append(time.perf_counter() - began)
    known_t, unknown_t = (statistics.median(t) for t in times.values())
    assert abs(known_t - unknown_t) < max(0.05, known_t)


def test_after_the_wait_the_right_password_works_and_the_wait_doubles(db, c, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(FREE):
        with pytest.raises(SignInRefused):
            sign_in(db, "hr1", "wrong", "10.0.0.1")
    with pytest.raises(Throttled) as first_wait:
        sign_in(db, "hr1", PASSWORD, "10.0.0.1")
    assert first_wait.value.retry_after == 30
    clock.advance(seconds=31)
    with pytest.raises(SignInRefused):
        sign_in(db, "hr1", "wrong", "10.0.0.1")
    with pytest.raises(Throttled) as second_wait:
        sign_in(db, "hr1", PASSWORD, "10.0.0.1")
    assert second_wait.value.retry_after == 60
    clock.advance(seconds=61)
    assert sign_in(db, "hr1", PASSWORD, "10.0.0.1").username == "hr1"  # and the count starts again
    with pytest.raises(SignInRefused) as again:
        sign_in(db, "hr1", "wrong", "10.0.0.1")
    assert getattr(again.value, "code", None) == "auth.invalid"


def test_ipv6_clients_are_counted_by_their_64() -> None:
    assert address_of("2001:db8:1:2:aaaa::1") == address_of("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_of("::ffff:10.1.2.3") == "10.1.2.3"
    assert address_of(None) == "unknown"


def test_the_limiter_counts_exactly_under_concurrent_takers(db) -> None:  # type: ignore[no-untyped-def]
    """Twenty threads at once on one counter of 7: seven pass, whatever the interleaving."""
    from datetime import timedelta

    window = Window(7, timedelta(minutes=1))
    start = threading.Barrier(20)

    def take(_: int) -> bool:
        start.wait()
        try:
            limit(db, "test:burst", window, "test.limited", "请{seconds}秒后再试")
        except Throttled:
            return False
        return True

    with ThreadPoolExecutor(20) as pool:
        passed = list(pool.map(take, range(20)))
    assert passed.count(True) == 7


def test_the_sweep_forgets_idle_counters_a_day_later(db, c, clock) -> None:  # type: ignore[no-untyped-def]
    from store.access.scheduled import forget_sign_in_traces
    from store.sweep.chunks import SweepOptions, SweepReport

    for _ in range(FREE):
        with pytest.raises(SignInRefused):
            sign_in(db, "hr1", "wrong", "10.0.0.1")
    report = SweepReport()
    forget_sign_in_traces(db, report, SweepOptions(100, None))
    assert not report.counts  # still holding the address back
    clock.advance(days=1, minutes=1)
    forget_sign_in_traces(db, report, SweepOptions(100, None))
    assert report.counts["sign_in_traces_forgotten"] == 2  # the account's and the address's
    with db.sessions() as s:
        assert s.scalars(select(ThrottleBucket)).all() == []
