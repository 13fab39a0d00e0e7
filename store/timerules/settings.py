"""The admin's settings: deadlines per state, renewal-reminder days, holidays and make-up days.

Each change is checked (``workflow.timerules``), stored with who made it, and drops the cached
rules so the next step uses them. Due times already set stay as they are: a change applies to
steps taken after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from workflow.errors import TransitionRefused, ValidationFailed
from workflow.roles import Actor, Role
from workflow.text_input import checked_text
from workflow.timerules import TimeRules, check_deadline, check_reminder_days, deadline_record

from ..db import Database
from ..models import CalendarOverride
from . import timecache
from .models import Setting

# Years a calendar entry may fall in: wide enough for any real plan, narrow enough to catch typos.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_NOTE = 100


@dataclass(frozen=True)
class CalendarDay:
    day: date
    workday: bool
    note: str


def _require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise TransitionRefused("settings.admin_only", "只有系统管理员可以修改期限、提醒和节假日设置")


def current(db: Database, session: Session | Connection) -> TimeRules:
    """The rules in force, read fresh (``timecache.time_rules`` caches this)."""
    return timecache.read_time_rules(session)


def _put(session: Session, db: Database, actor: Actor, key: str, value: object) -> None:
    row = session.get(Setting, key)
    now = db.clock.now()
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=now, updated_by=actor.user_id))
    else:
        row.value = value
        row.updated_at = now
        row.updated_by = actor.user_id


def set_deadlines(db: Database, actor: Actor, changes: Mapping[str, Mapping[str, object]]) -> TimeRules:
    """``changes``: {workflow: {state: days}}. All are checked before any is stored."""
    _require_admin(actor)
    checked = [
        (wf, state, check_deadline(wf, state, days))
        for wf, states in changes.items()
        for state, days in states.items()
    ]
    with db.transaction() as s:
        # Locked first, so two admins changing different states do not lose one change.
        s.get(Setting, "deadlines", with_for_update=True)
        deadlines = {wf: dict(states) for wf, states in current(db, s).deadlines.items()}
        for wf, state, deadline in checked:
            deadlines[wf][state] = deadline
        _put(s, db, actor, "deadlines", deadline_record(deadlines))
    timecache.forget(db)
    with db.transaction() as s:
        return current(db, s)


def set_reminder_days(db: Database, actor: Actor, raw: object) -> TimeRules:
    _require_admin(actor)
    days = check_reminder_days(raw)
    with db.transaction() as s:
        _put(s, db, actor, "reminder_days", list(days))
    timecache.forget(db)
    with db.transaction() as s:
        return current(db, s)


def calendar_days(session: Session, year: int | None = None) -> list[CalendarDay]:
    q = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        q = q.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    return [CalendarDay(r.day, r.workday, r.note) for r in session.scalars(q)]


def set_calendar_day(db: Database, actor: Actor, day: date, workday: bool, note: str = "") -> None:
    """Declare ``day`` a holiday (``workday=False``) or a make-up working day; replaces an
    earlier entry for the same day."""
    _require_admin(actor)
    if isinstance(day, datetime):
        day = day.date()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationFailed(
            "validation.calendar_day", f"日期须在{FIRST_YEAR}年到{LAST_YEAR}年之间", field="day"
        )
    note = checked_text(note, "note", "说明")
    if len(note) > MAX_NOTE:
        raise ValidationFailed("validation.too_long", f"说明不能超过{MAX_NOTE}个字符", field="note")
    with db.transaction() as s:
        row = s.get(CalendarOverride, day)
        if row is None:
            s.add(CalendarOverride(day=day, workday=workday, note=note))
        else:
            row.workday, row.note = workday, note
    timecache.forget(db)


def remove_calendar_day(db: Database, actor: Actor, day: date) -> bool:
    _require_admin(actor)
    with db.transaction() as s:
        row = s.get(CalendarOverride, day)
        if row is not None:
            s.delete(row)
    timecache.forget(db)
    return row is not None
