"""The injected clock: the core never reads the time itself, so tests can move it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# The county works on Beijing time; times are stored as naive local times in this zone.
TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(TZ).replace(tzinfo=None, microsecond=0)


@dataclass
class FrozenClock:
    """A clock that stands still until a test moves it."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


CLOCK_ENV = "FUZHI_CLOCK"


def parse_moment(text: str) -> datetime:
    """A moment as ``2027-01-04T09:00`` (Beijing time), or with an offset, which is converted."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(TZ).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def clock_from_env() -> Clock:
    """The wall clock, or a frozen one where ``FUZHI_CLOCK`` names a moment.

    The test suite sets it so that every process it starts (live servers, ``fuzhi sweep``
    from "cron") lives at the test's moment instead of today; a trainer can also show the
    county's office as it stands on a given day. Never set it in production."""
    raw = os.environ.get(CLOCK_ENV, "").strip()
    return FrozenClock(parse_moment(raw)) if raw else SystemClock()
