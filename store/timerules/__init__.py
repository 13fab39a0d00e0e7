"""Time rules: the admin's deadlines, reminder days and calendar, read through a short cache.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .admin_view import baseline_page, policy_page, settings_page
    from .settings import remove_calendar_day, set_calendar_day, set_deadlines, set_reminder_days
    from .timecache import calendar

__all__ = [
    "baseline_page",
    "calendar",
    "policy_page",
    "remove_calendar_day",
    "set_calendar_day",
    "set_deadlines",
    "set_reminder_days",
    "settings_page",
]
__getattr__ = exports(
    __name__,
    {
        "baseline_page": "admin_view",
        "calendar": "timecache",
        "policy_page": "admin_view",
        "remove_calendar_day": "settings",
        "set_calendar_day": "settings",
        "set_deadlines": "settings",
        "set_reminder_days": "settings",
        "settings_page": "admin_view",
    },
)
