"""Nothing slow runs on the event loop: every handler or dependency that hashes a password,
reads a database or renders a document is synchronous and runs in a worker thread, so one
sign-in (argon2, tens of milliseconds by design) never holds up another request."""

from __future__ import annotations

import inspect

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from web.app import create_app


def route_handlers(app: Litestar) -> list[HTTPRouteHandler]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler):
                found.append(handler)
    return found


def on_the_loop(handler: HTTPRouteHandler) -> bool:
    """A synchronous handler that Litestar would call on the event loop itself."""
    fn = handler.fn
    return not inspect.iscoroutinefunction(fn) and not handler.sync_to_thread


def test_signing_in_runs_in_a_worker_thread(db) -> None:
    app = create_app(db, sweep_every=0)
    sign_in = [h for h in route_handlers(app) if "POST" in h.http_methods and "/login" in h.paths]
    assert len(sign_in) == 1 and not on_the_loop(sign_in[0])


def test_only_handlers_that_touch_nothing_run_on_the_loop(db) -> None:
    """A synchronous handler kept on the loop (sync_to_thread=False) must neither take ``db``
    nor ``files``: it only renders what it is given (the sign-in form, a redirect, health)."""
    app = create_app(db, sweep_every=0)
    on_loop = [h for h in route_handlers(app) if on_the_loop(h)]
    assert on_loop, "the sign-in form and the like stay on the loop"
    touching = [
        f"{sorted(h.http_methods)} {sorted(h.paths)}"
        for h in on_loop
        if {"db", "files"} & set(h.resolve_dependencies()) & set(inspect.signature(h.fn).parameters)
    ]
    assert touching == []


def test_dependencies_on_the_loop_only_hand_over_handles(db) -> None:
    """A synchronous dependency Litestar calls on the loop may only hand over the database or
    files handle; the one that reads an API token (SHA-256 and a query) runs in a thread."""
    app = create_app(db, sweep_every=0)
    on_loop = {
        name
        for h in route_handlers(app)
        for name, provider in h.resolve_dependencies().items()
        if not inspect.iscoroutinefunction(provider.dependency) and not provider.sync_to_thread
    }
    assert on_loop == {"db", "files"}
    actors = {
        provider.sync_to_thread
        for h in route_handlers(app)
        for name, provider in h.resolve_dependencies().items()
        if name == "actor" and not inspect.iscoroutinefunction(provider.dependency)
    }
    assert actors == {True}


class WatchedHasher:
    """The password hasher, noting for each check whether it ran on an event loop's thread and
    how many database connections were held while it ran."""

    def __init__(self, hasher, db) -> None:  # type: ignore[no-untyped-def]
        self.hasher, self.db, self.seen = hasher, db, []

    def _note(self) -> None:
        import asyncio

        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        self.seen.append((on_loop, self.db.engine.pool.checkedout()))

    def verify(self, stored, password):  # type: ignore[no-untyped-def]
        self._note()
        return self.hasher.verify(stored, password)

    def hash(self, password):  # type: ignore[no-untyped-def]
        self._note()
        return self.hasher.hash(password)

    def check_needs_rehash(self, stored):  # type: ignore[no-untyped-def]
        return self.hasher.check_needs_rehash(stored)


def test_the_password_is_checked_off_the_loop_and_outside_any_transaction(db, c, monkeypatch) -> None:
    """Signing in (argon2, slow on purpose) holds neither the event loop nor a database
    connection: the password is checked between two short transactions, in a worker thread;
    a wrong password and an unknown user take the same path."""
    from store.access import users

    from .page_support import Browser, sign_in

    watched = WatchedHasher(users._hasher, db)
    monkeypatch.setattr(users, "_hasher", watched)
    browser = sign_in(db, "hr1")
    assert browser.get("/inbox").status_code == 200
    assert watched.seen == [(False, 0)]
    for username in ("hr1", "nobody"):
        fields = {"username": username, "password": "wrong-one"}
        r = Browser(browser.client).submit("/login", "/login", fields)
        assert r.status_code == 401
    assert watched.seen[1:] == [(False, 0), (False, 0)]


def test_requests_have_many_threads_not_asyncios_six(db) -> None:
    """Synchronous handlers run on the loop's default executor; asyncio would size it at
    min(32, CPUs + 4), six on a 2-core server, and six requests waiting for a worker process
    (an upload, a PDF) held every other request up. The app gives it FUZHI_REQUEST_THREADS."""
    import asyncio

    async def size() -> int:
        loop = asyncio.get_running_loop()
        return int(await loop.run_in_executor(None, lambda: loop._default_executor._max_workers))

    from litestar.testing import TestClient

    with TestClient(create_app(db, sweep_every=0)) as client:
        assert client.blocking_portal.call(size) == 64
