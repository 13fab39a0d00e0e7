"""The deadlines and reminder days in force: the tables' defaults, changed by the admin.

Stored as one JSON record per key (``setting`` table); read back through ``TimeRules``, which
refuses anything that would make a deadline or a reminder meaningless. A change applies to
steps taken after it: a case's due time is fixed when it enters a state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import chinese_calendar

from .errors import ValidationFailed
from .machines import WORKFLOWS, Deadline
from .states import STATE_LABELS

DEFAULT_REMINDER_DAYS: tuple[int, ...] = (30, 7)
MAX_DEADLINE_DAYS = 365
MAX_REMINDER_DAY = 90
MAX_REMINDERS = 5
# ASCII digits only: int() would also take "1_0", "+5" and other scripts' digits.
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# What a Chinese input method types: full-width digits and separators (not NFKC, which would
# also read "²" as 2).
FULL_WIDTH = str.maketrans("０１２３４５６７８９，；、　", "0123456789,;, ")


def default_deadlines() -> dict[str, dict[str, Deadline]]:
    return {name: dict(wf.deadlines) for name, wf in WORKFLOWS.items()}


@dataclass(frozen=True)
class TimeRules:
    deadlines: dict[str, dict[str, Deadline]] = field(default_factory=default_deadlines)
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TimeRules:
        """From stored settings (``deadlines``, ``reminder_days``); what is absent, or no
        longer valid (a state that lost its deadline, a damaged record), keeps its default."""
        deadlines = default_deadlines()
        stored = settings.get("deadlines")
        for wf_name, states in (stored if isinstance(stored, Mapping) else {}).items():
            if wf_name not in deadlines or not isinstance(states, Mapping):
                continue
            for state, value in states.items():
                if state not in deadlines[wf_name] or not isinstance(value, Mapping):
                    continue
                days = value.get("working_days") or value.get("calendar_days")
                # Re-checked: the unit is always the table's, the range always sane.
                with suppress(ValidationFailed):
                    deadlines[wf_name][state] = check_deadline(wf_name, state, days)
        try:
            reminders = check_reminder_days(settings["reminder_days"])
        except (KeyError, ValidationFailed):
            reminders = DEFAULT_REMINDER_DAYS
        return cls(deadlines, reminders)


def deadline_record(deadlines: Mapping[str, Mapping[str, Deadline]]) -> dict[str, Any]:
    return {
        wf: {
            str(state): {"working_days": d.working_days, "calendar_days": d.calendar_days}
            for state, d in states.items()
        }
        for wf, states in deadlines.items()
    }


def _whole_number(raw: object) -> int | None:
    """A count of days typed by a person: full-width digits welcome, nothing else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw).translate(FULL_WIDTH).strip()
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


def check_deadline(workflow: str, state: str, days: object) -> Deadline:
    """A new deadline for a state that has one, in the unit the table uses for it."""
    key = f"{workflow}.{state}"
    default = WORKFLOWS[workflow].deadlines.get(state) if workflow in WORKFLOWS else None
    if default is None:
        raise ValidationFailed(
            "validation.deadline_state", f"“{STATE_LABELS.get(state, state)}”没有办理期限", field=key
        )
    n = _whole_number(days)
    label = STATE_LABELS.get(state, state)
    if n is None:
        raise ValidationFailed(
            "validation.deadline_days", f"“{label}”的期限须为整数天数", field=key, value=str(days)
        )
    if not 1 <= n <= MAX_DEADLINE_DAYS:
        raise ValidationFailed(
            "validation.deadline_days",
            f"“{label}”的期限须在1到{MAX_DEADLINE_DAYS}天之间",
            field=key,
            value=str(days),
        )
    return Deadline(working_days=n) if default.working_days else Deadline(calendar_days=n)


def check_reminder_days(raw: object) -> tuple[int, ...]:
    """Reminder days before a contract ends: distinct whole days, 1 to 90, largest first.
    Accepts a list or text such as "30, 7" or "30，7" (a day given twice counts once)."""
    parts = raw if isinstance(raw, (list, tuple)) else re.split(r"[,;\s]+", str(raw).translate(FULL_WIDTH))
    days: set[int] = set()
    for part in parts:
        if str(part).strip() == "":
            continue
        n = _whole_number(part)
        if n is None or not 1 <= n <= MAX_REMINDER_DAY:
            raise ValidationFailed(
                "validation.reminder_days",
                f"提醒天数须为1到{MAX_REMINDER_DAY}之间的整数，用逗号分隔",
                field="reminder_days",
                value=str(part),
            )
        days.add(n)
    if not days:
        raise ValidationFailed("validation.reminder_days", "至少设置一个提醒天数", field="reminder_days")
    if len(days) > MAX_REMINDERS:
        raise ValidationFailed(
            "validation.reminder_days", f"最多设置{MAX_REMINDERS}个提醒天数", field="reminder_days"
        )
    return tuple(sorted(days, reverse=True))


def official_calendar_knows(year: int) -> bool:
    """Whether ``chinesecalendar`` ships the State Council's holidays for ``year``; where it
    does not, only weekends rest unless the admin adds the year's holidays."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


DEFAULT_TIME_RULES = TimeRules()
