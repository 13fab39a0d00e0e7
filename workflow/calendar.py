"""Working days on China's official calendar, with holidays the admin adds for unknown years."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

from .machines import Deadline

END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class WorkCalendar:
    """``chinesecalendar`` knows the State Council's holidays and make-up days (调休) for the
    years it ships; for a year it does not know yet, weekends rest and the admin's own
    ``holidays`` / ``workdays`` apply (they also override a known year)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_overrides(cls, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(workdays))

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return _official_workday(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (the start day itself never counts)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def due(self, entered: datetime, deadline: Deadline) -> datetime:
        """End of the last day a step may take when its case entered the state at ``entered``."""
        if deadline.working_days:
            last = self.add_working_days(entered.date(), deadline.working_days)
        else:
            last = entered.date() + timedelta(days=deadline.calendar_days)
        return datetime.combine(last, END_OF_DAY)


@lru_cache(maxsize=8192)
def _official_workday(day: date) -> bool:
    # chinesecalendar scans its whole holiday table on every call (~25 µs); a day's answer
    # never changes, so it is asked once per day.
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


DEFAULT_CALENDAR = WorkCalendar()
