"""Month arithmetic agrees with dateutil's ``relativedelta``, which it replaces for speed."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from workflow.dates import add_months


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(-1200, 1200))
def test_add_months_as_relativedelta(day: date, months: int) -> None:
    assert add_months(day, months) == day + relativedelta(months=months)


def test_month_ends_are_clamped() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
