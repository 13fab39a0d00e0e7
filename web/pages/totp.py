"""Two-step sign-in for the signed-in staff member (HR, finance, the admin): the enrol page shows
the secret (as text, an ``otpauth://`` link and a QR code drawn on the server), and a code from
the authenticator app turns it on (``store.access.totp``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from store import access
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError
from workflow.roles import Role

from .cases import FORM, form_value, page_context
from .guard import require

NO_STORE = {"Cache-Control": "no-store"}  # the page shows a secret


def _page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> Template:
    enrolment = access.totp_enrolment(db, who.actor)
    extra = {"enrolment": enrolment, "error": error, "done": done}
    return Template(
        "totp.html", status_code=status, context=page_context(request, who, extra), headers=NO_STORE
    )


class TotpController(Controller):
    path = "/account/totp"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, Role.HR, Role.FINANCE, Role.ADMIN)
        return _page(request, db, who, done="on" if done == "on" else None)

    @post("/", sync_to_thread=True, status_code=303)
    def confirm(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.HR, Role.FINANCE, Role.ADMIN)
        try:
            access.confirm_totp(db, who.actor, form_value(data, "code"))
        except DomainError as exc:
            return _page(request, db, who, status=exc.status, error=exc.message)
        return Redirect("/account/totp?done=on", status_code=303)
