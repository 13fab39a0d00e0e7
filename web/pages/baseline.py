"""The admin's labour-force data: the plan's baseline per year and the working-age range."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from store import people, timerules
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError
from workflow.roles import Role

from ..i18n import N_
from .cases import FORM, form_value, page_context
from .guard import require

DONE = {
    "baseline": N_("规划基数已保存，统计页面的就业率随之更新。"),
    "ages": N_("劳动年龄已保存，统计页面按新范围计算劳动力。"),
}
FIX_MARKED = N_("请更正标出的项目；未保存任何更改。")


class BaselineController(Controller):
    path = "/admin/baseline"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, Role.ADMIN)
        return _page(request, db, who, done=DONE.get(done or ""))

    @post("/", sync_to_thread=True, status_code=303)
    def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        typed = {k: form_value(data, k).strip() for k in ("year", "low_income_people", "labour_force")}
        try:
            people.set_baseline(
                db, who.actor, typed["year"], typed["low_income_people"], typed["labour_force"]
            )
        except DomainError as exc:
            return _page(request, db, who, exc, typed)
        return Redirect("/admin/baseline?done=baseline", status_code=303)

    @post("/ages", sync_to_thread=True, status_code=303)
    def ages(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        typed = {k: form_value(data, k).strip() for k in ("min_age", "max_age")}
        try:
            people.set_working_age(db, who.actor, typed["min_age"], typed["max_age"])
        except DomainError as exc:
            return _page(request, db, who, exc, typed)
        return Redirect("/admin/baseline?done=ages#ages", status_code=303)


def _page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    failure: DomainError | None = None,
    typed: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    view = timerules.baseline_page(db)
    field = failure.details.get("field") if failure else None
    return Template(
        "admin_baseline.html",
        status_code=failure.status if failure else 200,
        context=page_context(
            request,
            who,
            {
                "rows": view.rows,
                "ages": view.ages,
                "limits": people.AGE_LIMITS,
                "year": view.year,
                "typed": typed or {},
                "done": done,
                "error": FIX_MARKED if failure else None,
                "errors": {str(field): failure.message} if failure and field else {},
                "failure": failure.message if failure and not field else None,
            },
        ),
    )
