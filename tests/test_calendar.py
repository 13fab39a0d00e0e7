"""Working days on China's official calendar (chinesecalendar), with the admin's overrides.

The 2026 dates below were read from chinesecalendar 1.11 (国务院办公厅 2026 holiday notice):
国庆节/中秋节 1–7 October off, Saturday 10 October a make-up working day (调休),
Sunday 20 September a make-up working day; 2027 is not in the library.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from workflow.calendar import DEFAULT_CALENDAR, END_OF_DAY, WorkCalendar
from workflow.machines import Deadline

CAL = WorkCalendar()


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_national_day_2026_is_not_a_workday(day: date) -> None:
    assert not CAL.is_workday(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 10, 10),  # Saturday, 调休
        date(2026, 9, 20),  # Sunday, 调休
        date(2026, 2, 14),  # Saturday, Spring Festival 调休
        date(2026, 1, 4),  # Sunday, New Year 调休
    ],
)
def test_make_up_working_days_2026(day: date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_workday(day)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 9, 28), True),  # Monday
        (date(2026, 9, 30), True),
        (date(2026, 10, 8), True),
        (date(2026, 10, 11), False),  # Sunday
        (date(2026, 10, 17), False),  # Saturday
        (date(2026, 1, 1), False),  # 元旦
        (date(2026, 5, 1), False),  # 劳动节
    ],
)
def test_ordinary_2026_days(day: date, workday: bool) -> None:
    assert CAL.is_workday(day) is workday


def test_agrees_with_the_library_for_every_day_of_2026() -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_admin_overrides_a_known_year() -> None:
    cal = WorkCalendar.with_overrides(
        holidays=[date(2026, 10, 9)], workdays=[date(2026, 10, 11), date(2026, 10, 7)]
    )
    assert not cal.is_workday(date(2026, 10, 9))  # a Friday made a holiday
    assert cal.is_workday(date(2026, 10, 11))  # a Sunday made a workday
    assert cal.is_workday(date(2026, 10, 7))  # a holiday made a workday
    assert cal.is_workday(date(2026, 10, 8))  # untouched
    assert not DEFAULT_CALENDAR.is_workday(date(2026, 10, 7))  # the default is unchanged
    both = WorkCalendar.with_overrides(holidays=[date(2026, 10, 12)], workdays=[date(2026, 10, 12)])
    assert not both.is_workday(date(2026, 10, 12))  # a holiday wins


def test_unknown_year_falls_back_to_weekdays_plus_admin_holidays() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))  # the library does not know 2027
    assert CAL.is_workday(date(2027, 1, 1))  # a Friday: 元旦 unknown until the admin adds it
    assert CAL.is_workday(date(2027, 1, 4))  # Monday
    assert not CAL.is_workday(date(2027, 1, 2))  # Saturday
    assert not CAL.is_workday(date(2027, 1, 3))  # Sunday
    admin = WorkCalendar.with_overrides(
        holidays=[date(2027, 1, 1)] + [date(2027, 2, d) for d in range(6, 13)], workdays=[date(2027, 2, 20)]
    )
    assert not admin.is_workday(date(2027, 1, 1))
    assert not admin.is_workday(date(2027, 2, 8))  # Monday in the admin's 春节
    assert admin.is_workday(date(2027, 2, 20))  # Saturday made a workday
    assert admin.is_workday(date(2027, 2, 15))


def test_add_working_days_across_national_day() -> None:
    # 29, 30 Sep; 8, 9, 10 (调休), 12, 13, 14, 15, 16 Oct
    assert CAL.add_working_days(date(2026, 9, 28), 10) == date(2026, 10, 16)
    assert CAL.add_working_days(date(2026, 9, 28), 3) == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert CAL.add_working_days(date(2026, 10, 10), 1) == date(2026, 10, 12)
    assert CAL.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 8)  # from a holiday
    assert CAL.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_add_working_days_into_an_unknown_year() -> None:
    assert CAL.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 1)
    admin = WorkCalendar.with_overrides(holidays=[date(2027, 1, 1)])
    assert admin.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 10, 16)) == 10
    assert CAL.working_days_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    assert CAL.working_days_between(date(2026, 10, 16), date(2026, 10, 16)) == 0
    for n in range(0, 30):
        assert CAL.working_days_between(date(2026, 9, 15), CAL.add_working_days(date(2026, 9, 15), n)) == n


def test_due_in_working_days_is_end_of_the_last_day() -> None:
    assert END_OF_DAY.isoformat() == "23:59:59"
    due = CAL.due(datetime(2026, 9, 28, 16, 45), Deadline(working_days=10))
    assert due == datetime(2026, 10, 16, 23, 59, 59)
    # five working days for the village after a submission on the eve of National Day:
    # 8, 9, 10 (调休), 12, 13 October
    assert CAL.due(datetime(2026, 9, 30, 8, 0), Deadline(working_days=5)) == datetime(
        2026, 10, 13, 23, 59, 59
    )


def test_due_in_calendar_days_ignores_holidays() -> None:
    assert CAL.due(datetime(2026, 9, 28, 16, 45), Deadline(calendar_days=30)) == datetime(
        2026, 10, 28, 23, 59, 59
    )
    assert CAL.due(datetime(2026, 9, 30, 0, 0), Deadline(calendar_days=1)) == datetime(
        2026, 10, 1, 23, 59, 59
    )


def test_due_with_admin_overrides() -> None:
    cal = WorkCalendar.with_overrides(holidays=[date(2026, 9, 29), date(2026, 9, 30)])
    assert cal.due(datetime(2026, 9, 28, 9), Deadline(working_days=1)) == datetime(2026, 10, 8, 23, 59, 59)
