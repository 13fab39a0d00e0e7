"""The admin's settings pages: deadlines, renewal-reminder days, holidays and make-up days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import timerules
from store.access import SignedIn
from store.db import Database
from store.sweep import LABELS as SWEEP_LABELS
from workflow.errors import DomainError, ValidationFailed
from workflow.machines import WORKFLOWS, Deadline
from workflow.roles import Role
from workflow.states import STATE_LABELS
from workflow.timerules import check_deadline, official_calendar_knows

from ..i18n import N_
from .cases import FORM, form_value, page_context
from .guard import require

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
KINDS = {"holiday": False, "workday": True}
# What a case waits for in the state whose deadline is set (the same in both workflows).
WAITING_FOR = {
    "submitted": N_("待村级核实"),
    "village_verified": N_("待人社审核"),
    "hr_first_reviewed": N_("待大额复核"),
    "hr_reviewed": N_("待财务发放"),
    "returned": N_("待重新提交"),
}
DONE = {
    "deadlines": N_("办理期限已保存。此后进入该环节的案件按新期限计算，已在办的案件期限不变。"),
    "reminders": N_("续签提醒天数已保存。"),
    "calendar_added": N_("日期已保存，此后计算的办理期限按新日历执行。"),
    "calendar_removed": N_("日期已删除。"),
}
FIX_MARKED = N_("请更正标出的项目；未保存任何更改。")


@dataclass(frozen=True)
class DeadlineRow:
    field: str  # form field: "<workflow>.<state>"
    state_label: str
    waiting_for: str
    default: int
    current: int
    unit: str
    value: str  # what the input shows: the current days, or what was typed


def _days(d: Deadline) -> int:
    return d.working_days or d.calendar_days


def _unit(d: Deadline) -> str:
    return N_("工作日") if d.working_days else N_("自然日")


def _year(data: dict[str, Any]) -> int | None:
    """The calendar year the admin was looking at, kept across a deadline or reminder form."""
    raw = form_value(data, "year").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None


def _back(done: str, year: int | None, anchor: str = "") -> str:
    return f"/admin/settings?done={done}" + (f"&year={year}" if year else "") + anchor


def _parse_day(raw: str) -> date | None:
    text = raw.strip()
    if not ISO_DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/settings", sync_to_thread=True)
    def page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        year: FromQuery[int | None] = None,
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, Role.ADMIN)
        return _settings_page(request, db, who, year, done=done)

    @post("/settings/deadlines", sync_to_thread=True, status_code=303)
    def deadlines(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        changes: dict[str, dict[str, str]] = {}
        errors: dict[str, str] = {}
        for key in data:
            wf, _, state_name = key.partition(".")
            if wf not in WORKFLOWS or not state_name:
                continue  # the CSRF token, anything not a deadline
            raw = form_value(data, key)
            changes.setdefault(wf, {})[state_name] = raw
            try:
                check_deadline(wf, state_name, raw)
            except ValidationFailed as exc:
                errors[key] = exc.message
        if not changes:
            errors["deadlines"] = N_("没有收到任何期限")
        try:
            if errors:
                raise ValidationFailed("validation.deadlines", FIX_MARKED)
            timerules.set_deadlines(db, who.actor, changes)
        except DomainError as exc:
            typed = {f"{wf}.{s}": v for wf, states in changes.items() for s, v in states.items()}
            return _settings_page(
                request,
                db,
                who,
                _year(data),
                status=exc.status,
                error=exc.message,
                errors=errors,
                typed=typed,
            )
        return Redirect(_back("deadlines", _year(data)), status_code=303)

    @post("/settings/reminders", sync_to_thread=True, status_code=303)
    def reminders(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        raw = form_value(data, "reminder_days")
        try:
            timerules.set_reminder_days(db, who.actor, raw)
        except DomainError as exc:
            return _settings_page(
                request,
                db,
                who,
                _year(data),
                status=exc.status,
                error=FIX_MARKED,
                errors={"reminder_days": exc.message},
                typed={"reminder_days": raw},
            )
        return Redirect(_back("reminders", _year(data), "#reminders"), status_code=303)

    @post("/settings/calendar", sync_to_thread=True, status_code=303)
    def add_day(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        typed = {k: form_value(data, k) for k in ("day", "kind", "note")}
        day = _parse_day(typed["day"])
        errors: dict[str, str] = {}
        if day is None:
            errors["day"] = N_("日期须为有效日期，格式如 2027-01-01")
        if typed["kind"] not in KINDS:
            errors["kind"] = N_("请选择放假或补班")
        year = day.year if day else None
        try:
            if errors or day is None:
                raise ValidationFailed("validation.calendar_day", FIX_MARKED)
            timerules.set_calendar_day(db, who.actor, day, KINDS[typed["kind"]], typed["note"])
        except DomainError as exc:
            field = exc.details.get("field")
            if isinstance(field, str) and field not in errors:
                errors[field] = exc.message
            return _settings_page(
                request, db, who, year, status=exc.status, error=FIX_MARKED, errors=errors, typed=typed
            )
        return Redirect(_back("calendar_added", day.year, "#calendar"), status_code=303)

    @post("/settings/calendar/{day:str}/delete", sync_to_thread=True, status_code=303)
    def remove_day(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        day: FromPath[str],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        parsed = _parse_day(day)
        if parsed is None:
            return _settings_page(
                request, db, who, None, status=422, error=N_("日期须为有效日期，格式如 2027-01-01")
            )
        try:
            removed = timerules.remove_calendar_day(db, who.actor, parsed)
        except DomainError as exc:
            return _settings_page(request, db, who, parsed.year, status=exc.status, error=exc.message)
        if not removed:
            return _settings_page(
                request, db, who, parsed.year, status=404, error=N_("该日期没有设置，可能已被删除")
            )
        return Redirect(_back("calendar_removed", parsed.year, "#calendar"), status_code=303)


def _settings_page(
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
    view = timerules.settings_page(db, year)
    rules = view.rules
    tables = []
    for name, wf in WORKFLOWS.items():
        if not wf.deadlines:  # the payout batch has no step with a deadline
            continue
        rows = []
        for state_name, default in wf.deadlines.items():
            key = f"{name}.{state_name}"
            now_in_force = rules.deadlines[name][state_name]
            rows.append(
                DeadlineRow(
                    field=key,
                    state_label=STATE_LABELS.get(state_name, state_name),
                    waiting_for=WAITING_FOR.get(state_name, ""),
                    default=_days(default),
                    current=_days(now_in_force),
                    unit=_unit(default),
                    value=typed.get(key, str(_days(now_in_force))),
                )
            )
        tables.append((wf.label, rows))
    shown = {row.field for _, rows in tables for row in rows} | {"reminder_days", "day", "kind", "note"}
    return Template(
        "admin_settings.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "tables": tables,
                "reminder_days": rules.reminder_days,
                "reminders_value": typed.get("reminder_days", ", ".join(map(str, rules.reminder_days))),
                "year": view.year,
                "official": official_calendar_knows(view.year),
                "days": view.days,
                "day_typed": typed,
                "error": error,
                "errors": errors,
                "stray_errors": [message for key, message in errors.items() if key not in shown],
                "done": DONE.get(done or ""),
                "runs": view.runs,
                "run_labels": SWEEP_LABELS,
                "stuck_emails": view.stuck_emails,
                "today": view.today,
            },
        ),
    )
