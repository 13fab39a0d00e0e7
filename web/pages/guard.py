"""Who is looking at a page: the signed-in staff member behind the session cookie, and where
each user lands after signing in (staff on the inbox, agents on their own pages)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.response import Redirect, Template

from store import audit
from store.access import SignedIn, resolve
from store.db import Database
from workflow.roles import Actor, Role

from ..i18n import DEFAULT, LANGUAGES, N_
from ..problems import on_http_error, problem, wants_page
from . import drafts

COOKIE = "fuzhi_session"
CSRF_COOKIE = "fuzhi_csrf"  # Litestar's CSRF cookie (web.app)
STAFF_ROLES = frozenset({Role.VILLAGE, Role.HR, Role.FINANCE, Role.ADMIN})
AGENT_HOME = "/agent/claims"  # the agents' pages (web.portal)
STAFF_HOME = "/inbox"


def landing(actor: Actor | None) -> str:
    """Where a user starts: an agent (and nothing else) on their organisation's claims."""
    if actor is not None and Role.AGENT in actor.roles and not actor.roles & STAFF_ROLES:
        return AGENT_HOME
    return STAFF_HOME


def home_of(db: Database, token: str | None) -> str:
    """Where the holder of a session cookie starts (the inbox for anyone not signed in: the
    sign-in page sends them back there)."""
    who = resolve(db, token)
    return landing(who.actor if who is not None else None)


class SignInRequired(HTTPException):
    status_code = 401


class Forbidden(HTTPException):
    status_code = 403


def staff(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> SignedIn:
    """The signed-in staff member; an anonymous visitor is sent to the sign-in page."""
    who = resolve(db, request.cookies.get(COOKIE))
    if who is None:
        raise SignInRequired()
    audit.identify(who.actor, who.username)  # who the audit log names for this request
    if not who.actor.roles & STAFF_ROLES:
        raise Forbidden()
    return who


def require(who: SignedIn, *roles: Role) -> None:
    if not who.actor.roles & set(roles):
        raise Forbidden()


def language(request: Request[Any, Any, Any], who: SignedIn | None = None) -> str:
    chosen = request.cookies.get("fuzhi_lang")
    if chosen in LANGUAGES:
        return chosen
    if who is not None and who.language in LANGUAGES:
        return who.language
    return DEFAULT


def on_sign_in_required(request: Request[Any, Any, Any], _exc: SignInRequired) -> Response[Any]:
    """A page: to the sign-in page and back. A form: what was typed is kept, and the sign-in
    form offered here carries it back to the page the form was on (``drafts``)."""
    if request.method == "GET":
        return Redirect(f"/login?next={quote(request.url.path)}")
    form = drafts.posted_form(request)
    files = any(not isinstance(v, str) for _, v in form.multi_items())
    return Template(
        "login.html",
        status_code=401,
        context={
            "lang": language(request),
            "next": drafts.page_of(request),
            "error": N_("登录已超时，请重新登录。所选的照片或文件未能保存，登录后请重新选择。")
            if files
            else N_("登录已超时，请重新登录。您填写的内容已保留，登录后将回到原页面。"),
            "username": "",
            "draft": drafts.typed(form),
            "step": drafts.chosen_step(form),
        },
    )


CSRF_FAILED = "CSRF token verification failed"  # Litestar's CSRFMiddleware, word for word


def on_permission_denied(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Response[Any]:
    """A form whose CSRF token is missing or stale (a page open since before the browser lost
    its cookie): say so and lead back to the page, with what was typed put back there."""
    if exc.detail != CSRF_FAILED:
        return on_http_error(request, exc)
    message = N_("页面已过期，请刷新后重新提交")
    if not wants_page(request):
        return problem(403, "csrf.stale", message)
    back = drafts.page_of(request)
    form = drafts.posted_form(request)
    secure = request.app.state.secure_cookies
    keep = drafts.same_site(request)  # never carry back what another site's page posted
    return Template(
        "error.html",
        status_code=403,
        context={
            "lang": language(request),
            "status": 403,
            "code": "csrf.stale",
            "title": N_("页面已过期"),
            "message": message,
            "detail": N_(
                "为保护您的账号，页面在打开太久或浏览器清除了数据后需要刷新。您填写的内容已保留，返回原页面后可直接提交。"
            )
            if keep and drafts.typed(form)
            else None,
            "back": f"{back}#restored" if keep and drafts.typed(form) else back,
        },
        cookies=[
            # A cookie that can never match (made with another secret) would refuse every form
            # for good: dropped, so that the page reloaded gets a fresh pair.
            Cookie(key=CSRF_COOKIE, value="", max_age=0, path="/", httponly=True, secure=secure),
            *(
                drafts.draft_cookie(back, drafts.typed(form), drafts.chosen_step(form), secure)
                if keep
                else []
            ),
        ],
    )


def on_forbidden(request: Request[Any, Any, Any], _exc: Forbidden) -> Response[Any]:
    return Template(
        "error.html",
        status_code=403,
        context={"lang": language(request), "status": 403, "message": N_("您的角色无权查看此页面")},
    )
