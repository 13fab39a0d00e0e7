"""The audit log's view of every request: the client's address set for the store's entries
(``audit.begin_request``), and the routes whose every use is recorded whatever the handler
does: a refusal (403) anywhere, an API token refused (401), exports, documents, the bank file
and the roster downloaded, and the changes finance and the admin make (payout batches, users,
settings, policy years, organisations, imports). The transitions themselves are recorded by
the store, with the history row they seal."""

from __future__ import annotations

import re
from typing import Any

from anyio import to_thread
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from store import audit

# (method, path pattern, action, target kind): the first that matches names the event.
ROUTES: tuple[tuple[str, re.Pattern[str], str, str], ...] = tuple(
    (method, re.compile(pattern), action, kind)
    for method, pattern, action, kind in (
        ("GET", r"^/exports/(?P<id>[\w-]+)", "export", "export"),
        ("GET", r"^/payouts/(?P<id>\d+)/bank-file/(?P<sub>\w+)", "payout.bank_file", "payout_batch"),
        ("GET", r"^/payouts/(?P<id>\d+)/roster", "document.roster", "payout_batch"),
        ("POST", r"^/payouts/(?P<id>\d+)/roster", "document.roster_start", "payout_batch"),
        (
            "GET",
            r"^/(?:agent/|api/v1/)?claims/(?P<id>\d+)/documents/(?P<sub>\w+)",
            "document.download",
            "claim",
        ),
        ("GET", r"^/contracts/(?P<id>\d+)/documents/(?P<sub>\w+)", "document.download", "contract"),
        ("GET", r"^/(?:agent/lists|imports)/(?P<id>\d+)/result\.xlsx", "export.result", "list"),
        ("POST", r"^/payouts/?$", "payout.create", "payout_batch"),
        ("POST", r"^/payouts/(?P<id>\d+)/(?P<sub>confirm|close|reconcile)", "payout.change", "payout_batch"),
        ("POST", r"^/payouts/(?P<id>\d+)/lines/\d+/(?P<sub>fail|decide)", "payout.change", "payout_batch"),
        ("POST", r"^/admin/users(?:/(?P<id>\d+))?(?:/(?P<sub>\w+))?", "admin.user", "user"),
        ("POST", r"^/admin/(?P<sub>settings|policy|baseline)(?:/(?P<id>[\w-]+))?", "admin.change", "setting"),
        ("POST", r"^/organisations(?:/(?P<id>\d+))?", "admin.organisation", "organisation"),
        ("POST", r"^/contracts/posts/(?P<id>\d+)", "admin.post", "post"),
        ("POST", r"^/imports(?:/(?P<id>\d+))?(?:/(?P<sub>load))?", "admin.import", "import"),
    )
)


def route_event(
    method: str, path: str, status: int
) -> tuple[str, tuple[str, object], str, dict[str, Any]] | None:
    """What a finished request records: (action, target, outcome, detail), or None."""
    outcome = "ok" if status < 400 else "denied" if status in (401, 403) else "failed"
    for wanted, pattern, action, kind in ROUTES:
        found = pattern.match(path) if method == wanted else None
        if found is None:
            continue
        parts = found.groupdict()
        detail: dict[str, Any] = {"status": status}
        if parts.get("sub"):
            detail["what"] = parts["sub"]
        if action == "payout.bank_file":
            detail["unmasked"] = "bank_account"
        return action, (kind, parts.get("id") or "-"), outcome, detail
    return None


def audit_requests(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        client = scope.get("client")
        audit.begin_request(client[0] if client else None)
        status: dict[str, int] = {}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        await app(scope, receive, watch)
        code, method, path = status.get("code", 500), scope["method"], scope["path"]
        event = route_event(method, path, code)
        db = scope["app"].state.db
        if code in (401, 403):
            if code == 403 or path.startswith("/api/"):
                await to_thread.run_sync(audit.denied, db, method, path, code)
            return
        if event is not None:
            action, target, outcome, detail = event
            await to_thread.run_sync(audit.downloaded, db, action, target, outcome, detail)

    return middleware
