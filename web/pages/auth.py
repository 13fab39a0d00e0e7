"""Signing in and out, and choosing the language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from store.access import ABSOLUTE, sign_out
from store.audit import audited_sign_in
from store.db import Database
from workflow.errors import DomainError

from ..deps import STORES
from ..i18n import LANGUAGES
from . import drafts
from .guard import AGENT_HOME, COOKIE, landing, language

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/inbox"


class AuthController(Controller):
    path = "/"
    include_in_schema = False
    dependencies = STORES

    @get("/login", sync_to_thread=False)
    def form(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template:
        return Template(
            "login.html",
            context={"lang": language(request), "next": _safe_next(next), "error": None, "username": ""},
        )

    @post("/login", sync_to_thread=True, status_code=303)
    def submit(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: NamedDependency[Database],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        username = data.get("username", "")
        draft = drafts.from_sign_in(data)  # typed before the session expired: back to its page
        step = draft.pop("step", None)
        try:
            signed = audited_sign_in(db, username, data.get("password", ""))  # recorded either way
        except DomainError as exc:
            return Template(
                "login.html",
                status_code=exc.status,
                context={
                    "lang": language(request),
                    "next": _safe_next(data.get("next")),
                    "error": exc.message,
                    "username": username,
                    "draft": draft,
                    "step": step,
                },
            )
        secure = state.secure_cookies
        target = _safe_next(data.get("next"))
        if landing(signed.actor) == AGENT_HOME and not target.startswith("/agent/"):
            target = AGENT_HOME  # an agent has no staff page to go back to: their own pages
        return Redirect(
            f"{target}#restored" if draft and "#" not in target else target,  # at the form, on a phone
            status_code=303,
            cookies=[
                *drafts.draft_cookie(target, draft, step, secure),
                Cookie(
                    key=COOKIE,
                    value=signed.token,
                    httponly=True,
                    secure=secure,
                    samesite="lax",
                    max_age=int(ABSOLUTE.total_seconds()),
                    path="/",
                ),
            ],
        )

    @post("/logout", sync_to_thread=True, status_code=303)
    def logout(
        self, request: Request[Any, Any, Any], state: State, db: NamedDependency[Database]
    ) -> Response[Any]:
        sign_out(db, request.cookies.get(COOKIE))
        return Redirect(
            "/login",
            status_code=303,
            cookies=[
                Cookie(
                    key=COOKIE,
                    value="",
                    max_age=0,
                    httponly=True,
                    secure=state.secure_cookies,
                    samesite="lax",
                    path="/",
                )
            ],
        )

    @get("/lang/{code:str}", sync_to_thread=False)
    def choose_language(
        self, request: Request[Any, Any, Any], code: FromPath[str], state: State
    ) -> Response[Any]:
        back = _safe_next(
            request.headers.get("referer", "").split(request.base_url.netloc, 1)[-1]
            if request.headers.get("referer")
            else "/"  # each user's own start (agents have no inbox)
        )
        chosen = code if code in LANGUAGES else "zh_CN"
        return Redirect(
            back,
            cookies=[
                Cookie(
                    key="fuzhi_lang",
                    value=chosen,
                    samesite="lax",
                    secure=state.secure_cookies,
                    path="/",
                    max_age=365 * 24 * 3600,
                )
            ],
        )
