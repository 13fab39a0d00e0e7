"""The deadlines and reminder days in force: the tables' defaults, changed by the admin.

Stored as one JSON record per key (``setting`` table); read back through ``TimeRules``, which
refuses anything that would make a deadline or a reminder meaningless. A change applies to
steps taken after it: a case's due time is fixed when it enters a state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ValidationFailed
from .machines import WORKFLOWS, Deadline

DEFAULT_REMINDER_DAYS: tuple[int, ...] = (30, 7)
MAX_DEADLINE_DAYS = 365
MAX_REMINDERS = 5


def default_deadlines() -> dict[str, dict[str, Deadline]]:
    return {name: dict(wf.deadlines) for name, wf in WORKFLOWS.items()}


@dataclass(frozen=True)
class TimeRules:
    deadlines: dict[str, dict[str, Deadline]] = field(default_factory=default_deadlines)
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TimeRules:
        """From stored settings (``deadlines``, ``reminder_days``); what is absent keeps its default."""
        deadlines = default_deadlines()
        for wf_name, states in (settings.get("deadlines") or {}).items():
            for state, value in states.items():
                if wf_name in deadlines and state in deadlines[wf_name]:
                    deadlines[wf_name][state] = Deadline(int(value.get("working_days", 0)),
                                                         int(value.get("calendar_days", 0)))
        days = settings.get("reminder_days")
        return cls(deadlines, tuple(days) if days else DEFAULT_REMINDER_DAYS)


def deadline_record(deadlines: Mapping[str, Mapping[str, Deadline]]) -> dict[str, Any]:
    return {wf: {state: {"working_days": d.working_days, "calendar_days": d.calendar_days}
                 for state, d in states.items()} for wf, states in deadlines.items()}


def check_deadline(workflow: str, state: str, days: object) -> Deadline:
    """A new deadline for a state that has one, in the unit the table uses for it."""
    default = WORKFLOWS[workflow].deadlines.get(state) if workflow in WORKFLOWS else None
    if default is None:
        raise ValidationFailed("validation.deadline_state", f"“{state}”没有办理期限",
                               field=f"{workflow}.{state}")
    try:
        n = int(str(days).strip())
    except ValueError:
        raise ValidationFailed("validation.deadline_days", "期限须为整数天数",
                               field=f"{workflow}.{state}") from None
    if not 1 <= n <= MAX_DEADLINE_DAYS:
        raise ValidationFailed("validation.deadline_days",
                               f"期限须在1到{MAX_DEADLINE_DAYS}天之间", field=f"{workflow}.{state}")
    return Deadline(working_days=n) if default.working_days else Deadline(calendar_days=n)


def check_reminder_days(raw: object) -> tuple[int, ...]:
    """Reminder days before a contract ends: distinct whole days, 1 to 90, largest first.
    Accepts a list or text such as "30, 7" or "30，7"."""
    parts = raw if isinstance(raw, (list, tuple)) else \
        str(raw).replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
    days: set[int] = set()
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= 90:
            raise ValidationFailed("validation.reminder_days", "提醒天数须为1到90之间的整数，用逗号分隔",
                                   field="reminder_days", value=text)
        days.add(int(text))
    if not days:
        raise ValidationFailed("validation.reminder_days", "至少设置一个提醒天数", field="reminder_days")
    if len(days) > MAX_REMINDERS:
        raise ValidationFailed("validation.reminder_days", f"最多设置{MAX_REMINDERS}个提醒天数",
                               field="reminder_days")
    return tuple(sorted(days, reverse=True))


DEFAULT_TIME_RULES = TimeRules()
