"""Signing in and out, and choosing the language."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from store.access import ABSOLUTE, CODE_WAIT, CodeNeeded, SignedIn, sign_out
from store.audit import audited_finish_sign_in, audited_sign_in
from store.db import Database
from workflow.errors import DomainError

from ..deps import STORES
from ..i18n import LANGUAGES, N_
from . import drafts
from .guard import AGENT_HOME, COOKIE, landing, language

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


CHALLENGE = "fuzhi_challenge"  # between the password and the TOTP code (``store.access.totp``)
# What the sign-in pages say of a refusal (the service's own words name no account).
REFUSALS = {
    "auth.throttled": N_("登录尝试过于频繁，请稍后再试"),
    "auth.invalid": N_("用户名或密码不正确"),
    "auth.totp_invalid": N_("动态验证码不正确或已使用过，请输入验证器上的新验证码"),
    "auth.challenge_expired": N_("验证已超时，请重新输入用户名和密码"),
}


def _address(request: Request[Any, Any, Any]) -> str | None:
    """The client's address as the server sees it (behind a reverse proxy: run uvicorn with
    --proxy-headers and --forwarded-allow-ips naming the proxy, so that this is the client's)."""
    return request.client.host if request.client else None


def _refused(
    request: Request[Any, Any, Any],
    page: str,
    exc: DomainError,
    target: str,
    draft: dict[str, str],
    step: str | None,
    username: str = "",
) -> Template:
    """The sign-in page again with the refusal; a throttled one says when to come back."""
    wait = exc.details.get("retry_after")
    return Template(
        page,
        status_code=exc.status,
        headers={"Retry-After": str(wait)} if isinstance(wait, int) else None,
        context={
            "lang": language(request),
            "next": target,
            "error": REFUSALS.get(exc.code, exc.message),
            "username": username,
            "draft": draft,
            "step": step,
        },
    )


def _challenge_cookie(value: str, secure: bool, lasts: timedelta | None) -> Cookie:
    return Cookie(
        key=CHALLENGE,
        value=value,
        httponly=True,
        secure=secure,
        samesite="strict",
        max_age=int(lasts.total_seconds()) if lasts else 0,
        path="/login",
    )


def _signed_in(
    signed: SignedIn, target: str, draft: dict[str, str], step: str | None, secure: bool
) -> Response[Any]:
    """To the page asked for, with the session cookie (and what was typed, back to its form)."""
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
        target = _safe_next(data.get("next"))
        try:
            # Recorded either way (the name as typed, never the password).
            signed = audited_sign_in(db, username, data.get("password", ""), _address(request))
        except DomainError as exc:
            return _refused(request, "login.html", exc, target, draft, step, username=username)
        if isinstance(signed, CodeNeeded):  # the password was right: the TOTP code next
            context = {"lang": language(request), "next": target, "error": None, "draft": draft, "step": step}
            return Template(
                "login_code.html",
                status_code=200,
                context=context,
                cookies=[_challenge_cookie(signed.challenge, state.secure_cookies, CODE_WAIT)],
            )
        return _signed_in(signed, target, draft, step, state.secure_cookies)

    @post("/login/code", sync_to_thread=True, status_code=303)
    def code(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: NamedDependency[Database],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        draft = drafts.from_sign_in(data)
        step = draft.pop("step", None)
        target = _safe_next(data.get("next"))
        try:
            signed = audited_finish_sign_in(db, request.cookies.get(CHALLENGE), data.get("code", ""))
        except DomainError as exc:
            page = "login.html" if exc.code == "auth.challenge_expired" else "login_code.html"
            return _refused(request, page, exc, target, draft, step)
        done = _signed_in(signed, target, draft, step, state.secure_cookies)
        done.cookies.append(_challenge_cookie("", state.secure_cookies, None))
        return done

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
