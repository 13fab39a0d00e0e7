"""What the demo loader keeps while it works: its random source and clock, the places, people,
staff and organisations made so far, and the contracts planned.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import datetime

from store import timerules
from store.db import Database
from workflow.clock import FrozenClock
from workflow.roles import Actor

from .places import SEED
from .plans import ContractPlan, OrgRow, PersonRow, PostRow, VillageRow
from .report import DemoLogin
from .timeline import Replay, Time


class LoaderState:
    """The loader's working state, shared by the parts that make and replay the county."""

    self_filer: PersonRow  # the woman who files for herself (set with the organisations)

    def __init__(self, db: Database, now: datetime, year: int, taken: set[str]) -> None:
        self.rng = random.Random(SEED)
        self.clock = FrozenClock(now)
        self.db = replace(db, clock=self.clock)  # same engine and vault, the replay's clock
        self.replay = Replay(self.clock)
        with self.db.sessions() as session:
            self.time = Time(now, timerules.calendar(self.db, session), self.rng)
        self.year, self.taken = year, taken
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.counter = itertools.count(1)
        self.logins: list[DemoLogin] = []
        self.villages: list[VillageRow] = []
        self.persons: list[PersonRow] = []
        self.orgs: dict[str, OrgRow] = {}
        self.committees: dict[int, OrgRow] = {}  # village id -> committee that files itself
        self.verifiers: dict[int, list[Actor]] = {}
        self.hr: list[Actor] = []
        self.finance: Actor | None = None
        self.posts: list[PostRow] = []
        self.contracts: list[ContractPlan] = []
        self.holders: set[int] = set()
