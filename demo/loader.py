"""``load_demo``: the demo county, 德钦县: places, people, staff, and claims and contracts in
every state.

It replays about a year and a half of the bureau's work on a clock of its own that ends at the
given database clock's now. Every case is filed, checked and moved by the same service calls a
user would make, at the time they would have made them, so the rules, deadlines and history
rows are what real use would have left behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select

from store.db import Database
from store.models import PolicyYear, Township, User
from workflow.errors import ValidationFailed

from .claim_mix import ClaimMix
from .claim_replay import ClaimReplay
from .contracts import ContractLoader
from .people import PeopleLoader
from .report import DemoReport, existing_logins, report
from .staff import StaffLoader


def _cover_years(db: Database, source: int, years: Iterable[int], now: datetime) -> None:
    """The replay files claims whose facts fix the years before (and, in January, the year of)
    ``now``: a demo county needs parameters for each, copied from ``source``. A real bureau
    sets its own (``fuzhi policy``, the admin's pages)."""
    with db.transaction() as session:
        have = set(session.scalars(select(PolicyYear.year)))
        record = session.get(PolicyYear, source)
        assert record is not None
        for year in years:
            if year not in have:
                session.add(PolicyYear(year=year, params={**record.params, "year": year}, created_at=now))


def load_demo(db: Database) -> DemoReport:
    """Fill an empty, migrated database with the demo county, its history ending at
    ``db.clock.now()``. A database that already has a township is left as it is."""
    now = db.clock.now()
    with db.sessions() as session:
        if session.scalar(select(Township.id).limit(1)) is not None:
            return report(db, True, now, logins=existing_logins(session))
        taken = set(session.scalars(select(User.username)))
        year = session.scalar(
            select(func.max(PolicyYear.year)).where(PolicyYear.year <= now.year)
        ) or session.scalar(select(func.min(PolicyYear.year)))
    if year is None:
        raise ValidationFailed("validation.policy_year", "尚未设置任何政策年度参数，无法载入演示数据")
    _cover_years(db, year, range(now.year - 2, now.year + 1), now)
    loader = Loader(db, now, year, taken)
    loader.run()
    return report(db, False, now, year, loader.logins)


class Loader(PeopleLoader, StaffLoader, ContractLoader, ClaimMix, ClaimReplay):
    """Makes the places, people and staff, plans every case, then replays them in time order."""

    def run(self) -> None:
        self.clock.current = self.time.at(self.time.today - timedelta(days=600))
        with self.db.transaction() as session:
            self.load_places(session)
            self.load_people(session)
            self.load_organisations(session)
            self.load_users(session)
            self.load_posts(session)
        self.plan_contracts()
        claims, lists = self.plan_claims()
        for contract in self.contracts:
            self.replay.start(self.contract_case(contract))
        for claim in claims:
            self.replay.start(self.claim_case(claim))
        for claim_list in lists:
            self.replay.start(self.list_case(claim_list))
        self.replay.run()
        self.post_claims_mark()
        self.load_outside_labour_force()
