"""Holding claims (认领) from the case page and the inbox: take, let go, and the head's assignment,
one claim or many at once (each with its own outcome)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from store import claims
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError

from ..i18n import N_
from .cases import DONE, FORM, Outcome, case_page, form_value, page_context
from .guard import STAFF_ROLES, require

ACTIONS = {
    "hold": N_("认领"),
    "release": N_("放弃认领"),
    "assign": N_("分派"),
}


def _ids(data: dict[str, Any]) -> list[int]:
    raw = data.get("ids", [])
    return [int(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).isdigit()]


def _assignee(data: dict[str, Any]) -> int:
    value = form_value(data, "assignee")
    return int(value) if value.isdigit() else 0


class ReviewController(Controller):
    path = "/"
    include_in_schema = False

    @post("/claims/{claim_id:int}/hold/{action:str}", sync_to_thread=True, status_code=303)
    def one(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        claim_id: FromPath[int],
        action: FromPath[str],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        """认领, 放弃 or the head's 分派 of one claim, back to its page."""
        require(who, *STAFF_ROLES)
        try:
            outcome = _act(db, who, action, [claim_id], data)[0]
        except DomainError as exc:
            return case_page(request, db, who, claim_id, status=exc.status, error=exc.message)
        if outcome.error:
            return case_page(request, db, who, claim_id, status=409, error=outcome.error)
        return Redirect(f"/claims/{claim_id}?done={action}", status_code=303)

    @post("/inbox/hold/{action:str}", sync_to_thread=True)
    def many(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        action: FromPath[str],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Template:
        """The same on the claims ticked in the inbox: each with its own outcome."""
        require(who, *STAFF_ROLES)
        error = None
        try:
            done = _act(db, who, action, _ids(data), data)
        except DomainError as exc:
            done, error = [], exc.message
        return Template(
            "bulk_result.html",
            status_code=200 if error is None else 422,
            context=page_context(
                request,
                who,
                {
                    "outcomes": [Outcome(o.claim_id, o.ok, o.error or DONE) for o in done],
                    "error": error,
                    "comment": None,
                    "trigger": action,
                    "label": ACTIONS.get(action, action),
                },
            ),
        )


def _act(
    db: Database, who: SignedIn, action: str, ids: list[int], data: dict[str, Any]
) -> list[claims.HoldOutcome]:
    if action == "hold":
        return claims.take_claims(db, who.actor, ids)
    if action == "release":
        return claims.release_claims(db, who.actor, ids)
    if action == "assign":
        return claims.assign_claims(db, who.actor, ids, _assignee(data))
    raise DomainError("validation.action", "未知的操作")
