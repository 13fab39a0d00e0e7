"""Who is looking at an agent's page: the signed-in agent of an organisation behind the session
cookie (signed in as staff are, at /login), and what every one of their pages' templates reads."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from store import audit
from store.access import SignedIn, resolve
from store.db import Database
from workflow.roles import Role
from workflow.states import STATE_LABELS

from ..pages.guard import COOKIE, Forbidden, SignInRequired, language


def agent(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> SignedIn:
    """The signed-in agent; an anonymous visitor is sent to the sign-in page, staff are refused."""
    who = resolve(db, request.cookies.get(COOKIE))
    if who is None:
        raise SignInRequired()
    audit.identify(who.actor, who.username)  # who the audit log names for this request
    if Role.AGENT not in who.actor.roles or who.actor.org_id is None:
        raise Forbidden()
    return who


def portal_context(request: Request[Any, Any, Any], who: SignedIn, extra: dict[str, Any]) -> dict[str, Any]:
    """What every agent page's template reads (language, who is signed in, the state labels)."""
    return {
        "lang": language(request, who),
        "who": who,
        "labels": STATE_LABELS,
        "roles": sorted(r.value for r in who.actor.roles),
        **extra,
    }
