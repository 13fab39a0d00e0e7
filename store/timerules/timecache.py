"""The calendar and time rules in force, read through a short cache.

Overrides and settings change a few times a year; a transition should not pay a query for
them, so each database keeps what was read for at most a minute (``Database.memo``), and the
admin's services drop it when they change them (``forget``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar, cast

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from workflow.calendar import WorkCalendar
from workflow.timerules import TimeRules

from ..db import Database
from ..models import CalendarOverride
from .models import Setting

TTL_S = 60.0
CALENDAR, TIME_RULES = "calendar", "time_rules"

T = TypeVar("T")


def calendar(db: Database, session: Session | Connection) -> WorkCalendar:
    """The working calendar with the admin's overrides."""
    return _cached(db, CALENDAR, lambda: read_calendar(session))


def time_rules(db: Database, session: Session | Connection) -> TimeRules:
    """Deadlines and reminder days in force (the admin's settings over the defaults)."""
    return _cached(db, TIME_RULES, lambda: read_time_rules(session))


def forget(db: Database) -> None:
    """Drop the cached calendar and time rules (after the admin changes them)."""
    db.memo.pop(CALENDAR, None)
    db.memo.pop(TIME_RULES, None)


def read_calendar(session: Session | Connection) -> WorkCalendar:
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.workday)).all()
    return WorkCalendar.with_overrides(
        holidays=(day for day, workday in rows if not workday),
        workdays=(day for day, workday in rows if workday),
    )


def read_time_rules(session: Session | Connection) -> TimeRules:
    """The rules in force, read fresh."""
    rows = session.execute(select(Setting.key, Setting.value)).all()
    return TimeRules.from_settings(dict(rows))


def _cached(db: Database, key: str, load: Callable[[], T]) -> T:
    now = time.monotonic()
    hit = db.memo.get(key)
    if hit is None or now - hit[0] > TTL_S:
        hit = (now, load())
        db.memo[key] = hit
    return cast(T, hit[1])
