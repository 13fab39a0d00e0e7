"""What was typed into a form that could not be taken (the session had expired, the page's form
token was stale): the fields are carried through signing in, or back to the page, in a short-lived
cookie on that page's path, and the page puts them back into its form."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie, FormMultiDict
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

COOKIE = "fuzhi_draft"
PREFIX = "draft:"  # the draft's fields as the sign-in form carries them
# Machinery and secrets of a form, never a draft: tokens, versions, the button, passwords.
NOT_DRAFTED = {"_csrf_token", "_once", "version", "trigger", "password", "username", "next"}
MAX_FIELD = 1000  # characters of one field kept
MAX_COOKIE = 3600  # bytes of the cookie's value: browsers keep 4 KB a cookie
KEEP_SECONDS = 600  # long enough to sign in and come back


def posted_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    """The form the request carried, as parsed before (by the CSRF check or the handler); empty
    when it was never read (an exception handler cannot read a body itself)."""
    parsed = ScopeState.from_scope(request.scope).form
    if parsed is Empty:
        return FormMultiDict({})
    return FormMultiDict.from_form_data(parsed)


def typed(form: FormMultiDict) -> dict[str, str]:
    """The text fields someone typed or chose (no files, no tokens, nothing empty)."""
    draft = {}
    for key, value in form.items():
        if key in NOT_DRAFTED or not isinstance(value, str) or not value.strip():
            continue
        draft[key] = value[:MAX_FIELD]
    return draft


def chosen_step(form: FormMultiDict) -> str | None:
    value = form.get("trigger")
    return value if isinstance(value, str) and value.isidentifier() else None


def from_sign_in(data: dict[str, Any]) -> dict[str, str]:
    """The draft the sign-in form carried back (``draft:comment`` …)."""
    return {
        key[len(PREFIX) :]: str(value)[:MAX_FIELD]
        for key, value in data.items()
        if key.startswith(PREFIX) and key[len(PREFIX) :] not in NOT_DRAFTED and str(value).strip()
    }


def page_of(request: Request[Any, Any, Any]) -> str:
    """The page a form was sent from: the Referer when it is this site's, else the page the form's
    action belongs to (``/claims/5/act`` → ``/claims/5``)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/") and referer.path != "/login":
        return referer.path + (f"?{referer.query}" if referer.query else "")
    parent = request.url.path.rstrip("/").rsplit("/", 1)[0]
    return parent if parent.startswith("/") and parent != "" else "/inbox"


def same_site(request: Request[Any, Any, Any]) -> bool:
    """Sent by this site's own page: only then may what it carried come back into a form."""
    origin = request.headers.get("origin")
    if origin is not None:
        return urlsplit(origin).netloc == request.url.netloc
    return urlsplit(request.headers.get("referer", "")).netloc == request.url.netloc


def _path(page: str) -> str:
    return urlsplit(page).path or "/"


def draft_cookie(page: str, draft: dict[str, str], step: str | None, secure: bool) -> list[Cookie]:
    """The cookie that brings ``draft`` back to ``page`` (none when nothing was typed)."""
    if not draft:
        return []
    fields = dict(draft)
    while True:
        raw = json.dumps({"fields": fields, "step": step}, ensure_ascii=False).encode()
        value = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        if len(value) <= MAX_COOKIE or not fields:
            break
        longest = max(fields, key=lambda k: len(fields[k]))
        fields[longest] = fields[longest][: len(fields[longest]) * 2 // 3]
    return [
        Cookie(
            key=COOKIE,
            value=value,
            path=_path(page),
            max_age=KEEP_SECONDS,
            httponly=True,
            secure=secure,
            samesite="lax",
        )
    ]


def read_draft(request: Request[Any, Any, Any]) -> tuple[dict[str, str], str | None]:
    """The draft brought back to this page (its fields, and the step that was chosen)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return {}, None
    try:
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        fields = {str(k): str(v)[:MAX_FIELD] for k, v in dict(raw.get("fields", {})).items()}
        step = raw.get("step")
    except (ValueError, TypeError, AttributeError, binascii.Error):
        return {}, None
    return fields, step if isinstance(step, str) else None


def spent(request: Request[Any, Any, Any], secure: bool) -> list[Cookie]:
    """The cookie removed once its page has put the draft back."""
    if COOKIE not in request.cookies:
        return []
    return [
        Cookie(
            key=COOKIE,
            value="",
            path=request.url.path,
            max_age=0,
            httponly=True,
            secure=secure,
            samesite="lax",
        )
    ]
