"""The dashboard: claims, money, overdue steps, contracts ending soon and the plan's targets, as
pictures (server-drawn SVG). A village verifier sees their villages; county staff the county."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from store.access import SignedIn
from store.dashboard import dashboard_page
from store.db import Database
from workflow.states import STATE_LABELS

from ..dashboard import build_view
from .guard import STAFF_ROLES, language, require


class DashboardController(Controller):
    path = "/dashboard"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], who: NamedDependency[SignedIn]
    ) -> Template:
        require(who, *STAFF_ROLES)
        page = dashboard_page(db, who.actor)
        figures = page.figures
        lang = language(request, who)
        return Template(
            "dashboard.html",
            context={
                "lang": lang,
                "who": who,
                "roles": sorted(r.value for r in who.actor.roles),
                "labels": STATE_LABELS,
                "d": figures,
                "v": build_view(figures, lang),
                "policy_missing": page.policy_missing,
            },
        )
