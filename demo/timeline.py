"""The demo's time: office hours on working days, the ways through the workflow table as the demo
names its acts, and a replay that runs every case's steps in order on a clock of its own.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

from workflow.calendar import WorkCalendar
from workflow.clock import FrozenClock
from workflow.machines import CLAIM, Workflow
from workflow.roles import Role
from workflow.states import ClaimState, SubsidyType

T = SubsidyType
S = ClaimState


def steps_to(wf: Workflow, state: str, via: str | None = None) -> tuple[str, ...]:
    """The table's way to ``state`` as the demo names its acts (“hr_return”: HR's return)."""
    steps = wf.path_to(state, via)
    return tuple("hr_return" if s.trigger == "return" and s.role is Role.HR else s.trigger for s in steps)


def claim_path(state: str, via: str | None = None) -> tuple[str, ...]:
    """A claim's acts from its filing on."""
    return (CLAIM.creation[0].trigger, *steps_to(CLAIM, state, via))


class Time:
    def __init__(self, now: datetime, calendar: WorkCalendar, rng: random.Random) -> None:
        self.today, self.cal, self.rng = now.date(), calendar, rng
        self.limit = now - timedelta(minutes=1)

    def at(self, day: date, back: bool = False) -> datetime:
        """A moment in office hours on ``day``, or on the nearest working day after (before)."""
        while not self.cal.is_workday(day):
            day += timedelta(days=-1 if back else 1)
        return datetime.combine(day, time(8, 40)) + timedelta(minutes=self.rng.randint(0, 530))

    def ago(self, lo: int, hi: int) -> date:
        return self.today - timedelta(days=self.rng.randint(lo, hi))

    def later(self, t: datetime, lo: int, hi: int) -> datetime:
        return self.at(self.cal.add_working_days(t.date(), self.rng.randint(lo, hi)))

    def nightly(self, day: date) -> datetime:
        """When the nightly job runs in the first hours of ``day``."""
        return datetime.combine(day, time(0, 15)) + timedelta(minutes=self.rng.randint(0, 45))

    def after(self, prev: datetime, gap: tuple[int, int] | None) -> datetime:
        """A step ``gap`` working days after ``prev``; ``None``: the nightly expiry of a claim
        returned at ``prev``, once its days to be resubmitted are over."""
        if gap is None:
            due = self.cal.due(prev, CLAIM.deadlines[S.RETURNED])
            return self.nightly(due.date() + timedelta(days=1))
        return self.later(prev, *gap)

    def plan(
        self, start: date, gaps: Sequence[tuple[int, int] | None], floor: date | None = None
    ) -> list[datetime] | None:
        """The times of a case's steps: the first on ``start``, moved earlier until the last one
        is in the past (never before ``floor``), then each ``after`` the one before."""
        # Each gap is drawn once, so moving the start earlier keeps the case's pace.
        draws: list[tuple[int, int] | None] = [
            None if g is None else (n := self.rng.randint(*g), n) for g in gaps
        ]
        day = start
        while floor is None or day >= floor:
            times = [self.at(day)]
            for gap in draws:
                times.append(self.after(times[-1], gap))
            if times[-1] <= self.limit:
                return times
            day -= timedelta(days=max(1, (times[-1] - self.limit).days))
        return None


class Replay:
    """Runs the cases' steps in time order, setting the clock to each step's moment."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        self.order = itertools.count()

    def start(self, case: Iterator[datetime]) -> None:
        at = next(case, None)  # a case yields when its next step is due, then takes it
        if at is not None:
            heapq.heappush(self.queue, (at, next(self.order), case))

    def run(self) -> None:
        while self.queue:
            at, _, case = heapq.heappop(self.queue)
            if at < self.clock.current:
                raise RuntimeError(f"demo timeline runs backwards at {at}")
            self.clock.current = at
            self.start(case)
