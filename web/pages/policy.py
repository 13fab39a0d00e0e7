"""The admin's policy-year pages: every year, copy the last into the next (or create a year from
the plan's figures: a county's first), edit each figure."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import policy, timerules
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError, ValidationFailed
from workflow.roles import Role
from workflow.rules import limits
from workflow.rules.figures import BUREAU_MARK, FIGURES, GROUPS, LIMITS, groups_text, parse

from ..i18n import N_
from .admin import FIX_MARKED
from .cases import FORM, form_value, page_context
from .guard import require

DONE = {
    "copied": N_("已复制。方案未定金额的参数（标“由县人社局按年度设定”）请逐项核定后勾选确认。"),
    "created": N_("已按方案标准创建。方案未定金额的参数（标“由县人社局按年度设定”）请逐项核定后勾选确认。"),
    "saved": N_("已保存为新版本。此后提交（或重新提交）的申请按新参数计算，已提交的申请保持原参数和金额。"),
    "unchanged": N_("没有需要保存的更改。"),
}


def _int(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None


def _typed(value: Any, kind: str) -> str:
    if kind == LIMITS:
        return limits.as_text(value)
    return groups_text(value) if kind == GROUPS else str(value)


class PolicyController(Controller):
    path = "/admin/policy"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        year: FromQuery[int | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, Role.ADMIN)
        return _page(request, db, who, year, done=done)

    @post("/copy", sync_to_thread=True, status_code=303)
    def copy(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        source, target = _int(form_value(data, "from_year")), _int(form_value(data, "to_year"))
        try:
            if source is None or target is None:
                raise ValidationFailed(
                    "validation.policy_year", N_("年度须为四位数字，如 2027"), field="to_year"
                )
            policy.copy_year(db, who.actor, source, target)
        except DomainError as exc:
            return _page(request, db, who, source, status=exc.status, error=exc.message)
        return Redirect(f"/admin/policy?year={target}&done=copied", status_code=303)

    @post("/create", sync_to_thread=True, status_code=303)
    def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        year = _int(form_value(data, "year"))
        try:
            if year is None:
                raise ValidationFailed(
                    "validation.policy_year", N_("年度须为四位数字，如 2027"), field="year"
                )
            policy.create_year(db, who.actor, year)
        except DomainError as exc:
            return _page(request, db, who, None, status=exc.status, error=exc.message)
        return Redirect(f"/admin/policy?year={year}&done=created", status_code=303)

    @post("/{year:int}", sync_to_thread=True, status_code=303)
    def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        year: FromPath[int],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        values = {f.name: form_value(data, f.name) for f in FIGURES if f.name in data}
        raw_confirm = data.get("confirm", [])
        confirm = [c for c in (raw_confirm if isinstance(raw_confirm, list) else [raw_confirm]) if c]
        errors: dict[str, str] = {}
        for name, raw in values.items():  # every field checked, so each error is marked at once
            try:
                parse(name, raw)
            except ValidationFailed as exc:
                errors[name] = exc.message
        seen = form_value(data, "seen_version")
        try:
            if errors:
                raise ValidationFailed("validation.policy", FIX_MARKED)
            seen_version = int(seen) if seen.isdigit() else None
            after = policy.set_figures(db, who.actor, year, values, confirm, seen_version)
        except DomainError as exc:
            field = exc.details.get("field")
            if isinstance(field, str) and field not in errors:
                errors[field] = exc.message
            return _page(
                request,
                db,
                who,
                year,
                status=exc.status,
                error=exc.message,
                errors=errors,
                typed=values,
            )
        done = "unchanged" if after.version_id == seen_version else "saved"
        return Redirect(f"/admin/policy?year={year}&done={done}#figures", status_code=303)


def _page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    year: int | None,
    status: int = 200,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    done: str | None = None,
) -> Template:
    errors, typed = errors or {}, typed or {}
    shown = timerules.policy_page(db, year)
    years, view, today = shown.years, shown.view, shown.today
    rows = []
    if view is not None:
        for f in view.figures:
            rows.append({"shown": f, "value": typed.get(f.figure.name, _typed(f.value, f.figure.kind))})
    last = years[-1] if years else None
    return Template(
        "policy.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "years": years,
                "year": shown.year,
                "view": view,
                "rows": rows,
                "missing": shown.missing,
                "last": last,
                "next_year": (last + 1) if last else today.year,
                "plan_year": shown.missing[0] if shown.missing else (last + 1) if last else today.year,
                "changes": policy.change_rows(view.changes) if view else [],
                "unconfirmed": policy.unconfirmed(view) if view else [],
                "mark": BUREAU_MARK,
                "error": error,
                "errors": errors,
                "done": DONE.get(done or ""),
            },
        ),
    )
