"""A form sent twice is one action: every rendered form carries a fresh token (``once_input``,
next to ``csrf_input``); the first request of a signed-in user with a token is handled and its
outcome kept, and the same form sent again by that user gets that outcome (「已办理」), not a
second action nor 「已被其他人处理」.

The middleware sits outside Litestar's compression and CSRF check. A redirect is kept as its
location, a page (2xx) as its HTML (asked for uncompressed, so that it can be kept); a refusal
(4xx, 5xx) gives the token back, so the form may be corrected and sent again."""

from __future__ import annotations

import secrets
import time
from typing import Any

import anyio
from litestar import Request, Response
from litestar.datastructures import Headers, UploadFile
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.response import Template
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from store.access import resolve
from store.db import Database
from store.idempotency import FirstOutcome, keep_form_outcome, release_form_token, take_form_token

from ..i18n import N_
from .guard import COOKIE, language

FIELD = "_once"
NOT_COMPARED = {"_csrf_token", FIELD}  # differ between two sendings of the same form
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
SHOWN_ONCE = "shown-once"  # the kept content type of a no-store page: its body is not kept
WAIT_SECONDS = 5.0  # a second sending waits this long for the first to finish
# The API has its own Idempotency-Key; signing in may always be repeated (a replay would not
# carry the new session's cookie).
UNGUARDED = ("/api/", "/login")


def once_input() -> Markup:
    """The hidden field every unsafe form carries, a fresh token each time a page is rendered:
    ``{{ csrf_input | safe }}{{ once_input() }}`` (tests/test_village_phone.py checks them all)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{secrets.token_urlsafe(18)}">')


class AlreadySent(HTTPException):
    """The token of a form already sent, sent again with different fields (a page kept in the
    browser's history and used a second time), or the first sending still not finished."""

    status_code = 409

    def __init__(self, message: str, location: str | None) -> None:
        super().__init__(detail=message)
        self.message = message
        self.location = location


def fingerprint(db: Database, path: str, form: Any) -> str:
    """What makes two sendings the same form: the path and every field but the tokens (a file by
    its name and size). Keyed like the ID numbers' hash: a form may carry a full ID number."""
    parts = [path]
    for key, value in sorted(form.multi_items(), key=lambda kv: (kv[0], str(kv[1]))):
        if key in NOT_COMPARED:
            continue
        if isinstance(value, UploadFile):
            value.file.seek(0, 2)
            parts.append(f"{key}=file:{value.filename}:{value.file.tell()}")
            value.file.seek(0)  # the handler reads the file from its start
        else:
            parts.append(f"{key}={value}")
    return db.vault.digest("\0".join(parts))


class OnceMiddleware:
    """Recognises a form sent again by the same user (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or scope["method"] != "POST"
            or scope["path"].startswith(UNGUARDED)
        ):
            await self.app(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        if request.content_type[0] not in FORMS:
            await self.app(scope, receive, send)
            return
        form = await request.form()
        token = form.get(FIELD)
        db: Database = scope["litestar_app"].state.db
        who = await anyio.to_thread.run_sync(resolve, db, request.cookies.get(COOKIE)) if token else None
        if who is None or not isinstance(token, str):  # signed out: the page says so, keeps the draft
            await self.app(scope, receive, send)
            return
        user_id = who.actor.user_id
        sent = fingerprint(db, scope["path"], form)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            first = await anyio.to_thread.run_sync(take_form_token, db, user_id, token, sent)
            if first is None or not first.pending or time.monotonic() > deadline:
                break
            await anyio.sleep(0.2)
        if first is None:
            await self.first_sending(scope, receive, send, db, user_id, token)
        else:
            await replay(first, send)

    async def first_sending(
        self, scope: Scope, receive: Receive, send: Send, db: Database, user_id: int, token: str
    ) -> None:
        # A page kept as the outcome is kept as the browser reads it: asked for uncompressed.
        plain = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        scope["headers"] = plain
        ScopeState.from_scope(scope).headers = Headers(plain)
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body" and 200 <= answer["status"] < 300:
                answer["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keep)
        except BaseException:
            await anyio.to_thread.run_sync(release_form_token, db, user_id, token)
            raise
        status = answer["status"]
        headers = Headers(answer["headers"])
        if 200 <= status < 400:
            body = b"".join(answer["body"]).decode("utf-8", "replace") if status < 300 else ""
            if "no-store" in headers.get("cache-control", ""):
                # A page shown once (a new password, an API token) is never kept: a second
                # sending is told it was done, without the secret.
                body, headers = "", Headers({"content-type": SHOWN_ONCE})
            await anyio.to_thread.run_sync(
                lambda: keep_form_outcome(
                    db, user_id, token, status, headers.get("location"), body, headers.get("content-type", "")
                )
            )
        else:
            await anyio.to_thread.run_sync(release_form_token, db, user_id, token)


async def replay(first: FirstOutcome, send: Send) -> None:
    """The first sending's outcome again, marked as a replay."""
    if first.pending:
        raise AlreadySent(N_("该表单正在办理中，请稍后刷新页面查看结果。"), None)
    if not first.same:
        raise AlreadySent(
            N_("该表单已经提交过，不能再用它提交不同的内容。请打开最新的页面重新办理。"), first.location
        )
    if first.content_type == SHOWN_ONCE:
        raise AlreadySent(N_("已办理。该页面的一次性信息（如新密码、接口令牌）不再重复显示。"), None)
    headers = [(b"idempotent-replayed", b"true")]
    body = b""
    if first.location:
        headers.append((b"location", first.location.encode()))
        status = first.status if 300 <= first.status < 400 else 303
    elif first.body:
        status = first.status
        body = first.body.encode()
        headers.append((b"content-type", first.content_type.encode()))
    else:  # a page too big to keep: where the user can see what it did
        status = 303
        headers.append((b"location", b"/mine"))
    headers.append((b"content-length", str(len(body)).encode()))
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


def on_already_sent(request: Request[Any, Any, Any], exc: AlreadySent) -> Response[Any]:
    return Template(
        "error.html",
        status_code=409,
        context={
            "lang": language(request),
            "status": 409,
            "code": "form.already_sent",
            "title": N_("已办理"),
            "message": exc.message,
            "back": exc.location,
        },
    )
