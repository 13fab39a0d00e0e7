"""A person's page for staff: who they are (ID masked) and their labour status, which HR, the
admin and the person's village verifier can correct (劳动能力, counted as labour force)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store.access import SignedIn
from store.db import Database
from store.people import person_labour, set_labour_status
from workflow.errors import DomainError
from workflow.states import CAPACITY_LABELS

from ..i18n import N_
from .cases import FORM, page_context

SAVED = N_("劳动力信息已保存。")


class PersonController(Controller):
    path = "/persons"
    include_in_schema = False

    @get("/{person_id:int}", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        person_id: FromPath[int],
        who: NamedDependency[SignedIn],
        done: FromQuery[str | None] = None,
    ) -> Template:
        return _page(request, db, who, person_id, done=SAVED if done else None)

    @post("/{person_id:int}/labour", sync_to_thread=True, status_code=303)
    def labour(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        person_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        capacity = str(data.get("labour_capacity") or "")
        override = str(data.get("labour_force_override") or "") in {"1", "on", "true"}
        try:
            set_labour_status(db, who.actor, person_id, capacity, override)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return _page(request, db, who, person_id, error=exc)
        return Redirect(f"/persons/{person_id}?done=1", status_code=303)


def _page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    person_id: FromPath[int],
    done: str | None = None,
    error: DomainError | None = None,
) -> Template:
    person = person_labour(db, who.actor, person_id)
    return Template(
        "person.html",
        status_code=error.status if error else 200,
        context=page_context(
            request,
            who,
            {
                "p": person,
                "capacities": CAPACITY_LABELS,
                "done": done,
                "error": error.message if error else None,
            },
        ),
    )
