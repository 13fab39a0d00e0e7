"""The notification centre: a user's notices, the unread count, marking them read."""

from __future__ import annotations

import re
from typing import Annotated, Any

from jinja2 import pass_context
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import notices
from store.access import SignedIn
from store.db import Database

from .cases import FORM, page_context

HOME = "/notifications"
BACK = re.compile(r"/notifications(\?[a-z]+=\w+(&[a-z]+=\w+)*)?")


class NotificationController(Controller):
    path = HOME
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        unread: FromQuery[bool] = False,
        before: FromQuery[int | None] = None,
    ) -> Template:
        page = notices.notices(db, who.actor.user_id, unread, before)
        return Template(
            "notifications.html",
            context=page_context(
                request,
                who,
                {
                    "rows": page.rows,
                    "unread_only": unread,
                    "before": before,
                    "next_before": page.next_before,
                    "here": _here(unread, before),
                },
            ),
        )

    @post("/{notice_id:int}/read", sync_to_thread=True, status_code=303)
    def read(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        notice_id: FromPath[int],
        data: Annotated[dict[str, str], FORM],
    ) -> Redirect:
        """Mark one notice read; with ``go``, continue to what it is about. Another user's
        notice id changes nothing and leads nowhere but back here."""
        link = notices.read_one(db, who.actor.user_id, notice_id)
        if data.get("go") and link:
            return Redirect(link, status_code=303)
        return Redirect(_back(data.get("back")), status_code=303)

    @post("/read-all", sync_to_thread=True, status_code=303)
    def read_all(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Redirect:
        notices.read_all(db, who.actor.user_id)
        return Redirect(_back(data.get("back")), status_code=303)


def _here(unread: bool, before: int | None) -> str:
    query = "&".join(q for q in ("unread=1" if unread else "", f"before={before}" if before else "") if q)
    return f"{HOME}?{query}" if query else HOME


def _back(raw: str | None) -> str:
    """Back to the list as it was filtered; only ever a page of the notification centre."""
    return raw if raw and BACK.fullmatch(raw) else HOME


@pass_context
def unread_notices(context: Any) -> int:
    """The nav badge as a Jinja global, for pages whose context does not come from ``page_context``:
    reads the signed-in user off the template context, only when the nav is drawn."""
    who, request = context.get("who"), context.get("request")
    if not isinstance(who, SignedIn) or request is None:
        return 0
    return notices.unread_for(request.app.state.db, who.actor.user_id)
