"""The admin's audit log page (/admin/audit): entries searched by user, action, target, a range
of days and outcome, newest first, a page at a time; the chain's head to copy out."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from store import audit
from store.access import SignedIn
from store.db import Database
from workflow.roles import Role

from ..i18n import N_
from .cases import page_context
from .guard import require

OUTCOMES = {"ok": N_("成功"), "denied": N_("拒绝"), "failed": N_("失败")}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def _text(value: str | None, size: int) -> str | None:
    return (value or "").strip()[:size] or None


class AuditLogController(Controller):
    path = "/admin/audit"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        user: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        target: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        outcome: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        require(who, Role.ADMIN)
        q = audit.AuditQuery(
            user=_text(user, 50),
            action=_text(action, 60),
            target=_text(target, 72),
            since=_day(since),
            until=_day(until),
            outcome=outcome if outcome in OUTCOMES else None,
            page=max(min(page, 10_000), 1),
        )
        found = audit.search(db, who.actor, q)
        extra = {"found": found, "q": q, "outcomes": OUTCOMES, "head": audit.current_head(db)}
        return Template("admin_audit.html", context=page_context(request, who, extra))
