"""Editing a public-welfare post from the pages (HR and the admin): its form, with how many
places its contracts hold and its record of changes, and saving the edit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from store import contracts
from store.access import SignedIn
from store.contracts import PostEdit
from store.db import Database
from workflow.errors import DomainError, ValidationFailed
from workflow.money import parse_yuan
from workflow.roles import Role

from ..i18n import N_
from .cases import FORM, form_value, page_context
from .guard import require

EDITORS = (Role.HR, Role.ADMIN)
FIELD_LABELS = {"title": N_("岗位名称"), "monthly_subsidy": N_("月补贴（元）"), "places": N_("名额")}

DONE = {
    "edited": N_("修改已保存，并已记入变更记录。新的月补贴适用于此后拟定（含续签）的协议。"),
    "unchanged": N_("没有任何改动。"),
}


def _amount(raw: str) -> Decimal:
    try:
        return parse_yuan(raw, "月补贴")
    except ValidationFailed as exc:  # named by the form's field, so the form marks it
        raise ValidationFailed(exc.code, exc.message, field="monthly_subsidy") from None


def _places(raw: str) -> int:
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed("validation.not_a_number", N_("“名额”须为整数"), field="places")
    return int(raw)


class PostEditController(Controller):
    path = "/contracts/posts"
    include_in_schema = False

    @get("/{post_id:int}/edit", sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        post_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        require(who, *EDITORS)
        return _form(request, db, who, post_id, None)

    @post("/{post_id:int}", sync_to_thread=True, status_code=303)
    def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        post_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, *EDITORS)
        try:
            inp = PostEdit(
                title=form_value(data, "title"),
                monthly_subsidy=_amount(form_value(data, "monthly_subsidy")),
                places=_places(form_value(data, "places")),
            )
            changed = contracts.edit_post(db, who.actor, post_id, inp)
        except DomainError as exc:
            return _form(request, db, who, post_id, data, status=exc.status, error=exc)
        done = "edited" if changed else "unchanged"
        return Redirect(f"/contracts/posts/{post_id}/edit?done={done}", status_code=303)


def _form(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    post_id: int,
    typed: dict[str, Any] | None,
    status: int = 200,
    error: DomainError | None = None,
) -> Template:
    view = contracts.post_edit_view(db, who.actor, post_id)
    post = view.post
    values = (
        {k: form_value(typed, k) for k in FIELD_LABELS}
        if typed is not None
        else {"title": post.title, "monthly_subsidy": str(post.monthly_subsidy), "places": str(post.places)}
    )
    field = error.details.get("field") if error else None
    return Template(
        "post_edit.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "view": view,
                "post": post,
                "values": values,
                "errors": {str(field): error.message} if error and field else {},
                "error": error.message if error else None,
                "error_code": error.code if error else None,
                "field_labels": FIELD_LABELS,
                "done": DONE.get(request.query_params.get("done") or ""),
            },
        ),
    )
