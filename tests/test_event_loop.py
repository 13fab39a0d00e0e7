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
