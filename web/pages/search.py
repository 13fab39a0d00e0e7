"""Search (查找) for staff: any claim, contract or person they may see, in any state. The form is
posted, so a whole ID number pasted into it never reaches a URL or a log: it is turned into the
person it names (``?person=``), any other text into ``?q=``; results are paged by record ids."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from store import search as finder
from store.access import SignedIn
from store.db import Database
from workflow.states import STATE_LABELS, SUBSIDY_LABELS

from ..i18n import gettext
from .cases import FORM, form_value, page_context
from .guard import STAFF_ROLES, language, require


class SearchController(Controller):
    path = "/search"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        q: FromQuery[str | None] = None,
        person: FromQuery[int | None] = None,
        kind: FromQuery[str] = "claims",
        after: FromQuery[int | None] = None,
        before: FromQuery[int | None] = None,
    ) -> Template:
        require(who, *STAFF_ROLES)
        query = finder.SearchQuery(q, person, kind, after, before)
        return _render(request, who, finder.find_records(db, who.actor, query))

    @post("/", sync_to_thread=True, status_code=303)
    def submit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, *STAFF_ROLES)
        kind = form_value(data, "kind") or "claims"
        found = finder.resolve_text(db, who.actor, form_value(data, "q"))
        if found.person_id is not None:
            return Redirect(
                f"/search?{urlencode({'person': found.person_id, 'kind': kind})}", status_code=303
            )
        if found.text is not None:
            return Redirect(f"/search?{urlencode({'q': found.text, 'kind': kind})}", status_code=303)
        page = finder.SearchPage(finder.SearchQuery(), kind, shown=found.shown, error=found.error)
        return _render(request, who, page)


def _render(request: Request[Any, Any, Any], who: SignedIn, page: finder.SearchPage) -> Template:
    lang = language(request, who)
    here = {"kind": page.kind}
    if page.query.person_id is not None:
        here["person"] = str(page.query.person_id)
    elif page.query.text and page.error is None:
        here["q"] = page.query.text
    return Template(
        "search.html",
        status_code=200,
        context=page_context(
            request,
            who,
            {
                "page": page,
                "type_names": {code: gettext(lang, name) for code, name in SUBSIDY_LABELS.items()},
                "state_names": {state: gettext(lang, name) for state, name in STATE_LABELS.items()},
                # Links keep the search (never a whole ID number: that is ``person``) and page.
                "link": lambda **kw: "/search?" + urlencode({**here, **kw}),
                "export_link": "/exports/search?" + urlencode(here),
            },
        ),
    )
