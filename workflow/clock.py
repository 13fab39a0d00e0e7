"""The injected clock: the core never reads the time itself, so tests can move it."""

from __future__ import annotations

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
