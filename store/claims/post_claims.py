"""在岗领补 in the store: what the post rule reads (the contract, the month's working days on the
calendar in force, the days on the post (出勤天数) a village confirms).

A 公益性岗位补贴 claim is verified only with the days the village confirms, and approved only
if the rule still holds (a termination recorded since may have cut the month short): the
claim service takes those steps (``claims.take_post_step``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from workflow.calendar import WorkCalendar
from workflow.errors import DomainError, ValidationFailed
from workflow.rules import ContractFacts
from workflow.rules.facts import facts_from_record
from workflow.rules.post_days import month_bounds
from workflow.states import SubsidyType

from ..models import Contract

POST = SubsidyType.PUBLIC_WELFARE_POST
# The claim steps that evaluate the post rule again: verify with the days, approve as it stands.
CHECKED_STEPS = ("verify", "approve")
CONTRACT_COLUMNS = (
    Contract.id,
    Contract.person_id,
    Contract.state,
    Contract.start_date,
    Contract.end_date,
    Contract.monthly_subsidy,
    Contract.terminated_on,
)


def is_post_claim(case: Any) -> bool:
    return bool(case.subsidy_type == POST)


def contract_facts(row: Any) -> ContractFacts:
    """A contract row (ORM or the ``CONTRACT_COLUMNS`` of a query) as the rules read it."""
    return ContractFacts(
        row.id, row.person_id, row.state, row.start_date, row.end_date, row.monthly_subsidy, row.terminated_on
    )


def month_workdays(
    cal: WorkCalendar,
    subsidy_type: str,
    month: str | None,
) -> tuple[date, ...] | None:
    """The working days of a post claim's month; None for other types or an unreadable month
    (the rule then names the field)."""
    if subsidy_type != POST:
        return None
    try:
        first, last = month_bounds(month)
    except DomainError:
        return None
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(d for d in days if cal.is_workday(d))


def attendance_days(raw: object) -> int:
    """The 出勤天数 a village confirms, checked; the field is named when it is missing."""
    if raw is None or str(raw).strip() == "":
        raise ValidationFailed(
            "validation.required", "核实公益性岗位补贴须填写当月“出勤天数”", field="attendance_days"
        )
    days = facts_from_record({"attendance_days": raw}).attendance_days
    assert days is not None
    return days


def next_month(first: date) -> date:
    """The 1st of the next month. Not ``dates.add_months`` (dateutil): from a 1st no day needs
    clamping, and on the 1st this runs for every contract, where relativedelta cost a tenth
    of the month start (docs/benchmarks.md)."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_periods(start: date, end: date, through: date | None, today: date) -> list[tuple[date, date]]:
    """The contract-months after ``through`` whose calendar month is over by ``today``: each the
    part of a calendar month the contract covers, from ``start`` to ``end``. A month is claimed
    only once it has ended, even when the contract ended earlier in it: the village confirms
    the month's days on the post (出勤天数) then, as the contract says."""
    if end < start:  # left before the first day on the post
        return []
    begin = start if through is None else max(start, through + timedelta(days=1))
    first = date(begin.year, begin.month, 1)
    periods = []
    while first <= end:
        following = next_month(first)
        if following > today:  # the month's last day is not yet past
            break
        last = min(following - timedelta(days=1), end)
        if through is None or last > through:
            periods.append((max(first, start), last))
        first = following
    return periods
