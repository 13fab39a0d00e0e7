"""Who is looking at a page: the signed-in staff member behind the session cookie, and where
each user lands after signing in (staff on the inbox, agents on their own pages)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from store.access import SignedIn, resolve
from store.db import Database
from workflow.roles import Actor, Role

from ..i18n import DEFAULT, LANGUAGES, N_

COOKIE = "fuzhi_session"
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
    if request.method == "GET":
        return Redirect(f"/login?next={quote(request.url.path)}")
    return Template(
        "error.html",
        status_code=401,
        context={"lang": language(request), "status": 401, "message": N_("登录已失效，请重新登录")},
    )


def on_forbidden(request: Request[Any, Any, Any], _exc: Forbidden) -> Response[Any]:
    return Template(
        "error.html",
        status_code=403,
        context={"lang": language(request), "status": 403, "message": N_("您的角色无权查看此页面")},
    )
