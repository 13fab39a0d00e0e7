"""「我办理的」: the claims the signed-in staff member verified, returned, approved or rejected,
with where each went afterwards (its state now and the last step since)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from store import claims
from store.access import SignedIn
from store.db import Database
from workflow.machines import CLAIM
from workflow.states import SUBSIDY_LABELS

from .cases import page_context
from .guard import STAFF_ROLES, require


class MineController(Controller):
    path = "/mine"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def mine(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        before: FromQuery[int | None] = None,
    ) -> Template:
        require(who, *STAFF_ROLES)
        page = claims.acted_claims(db, who.actor, before)
        return Template(
            "mine.html",
            context=page_context(
                request,
                who,
                {
                    "page": page,
                    "first": before is None,
                    "subsidy_labels": SUBSIDY_LABELS,
                    "step_labels": {s.trigger: s.label for s in CLAIM.steps},
                },
            ),
        )
