"""The demo county's places and people: townships, villages, households and their members,
and the household members outside the labour force added last.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Person, Township, Village
from store.people import PersonInput, create_person

from .names import Identities
from .places import COUNTY, PERSONS_PER_VILLAGE, TOWNSHIPS
from .plans import PersonRow, VillageRow


class PeopleLoader(Identities):
    """Makes the townships, villages and people."""

    def load_places(self, session: Session) -> None:
        for suffix, name, _slug, villages in TOWNSHIPS:
            township = Township(code=COUNTY + suffix, name=name, county_code=COUNTY)
            session.add(township)
            session.flush()
            for i, (vname, vslug) in enumerate(villages, 1):
                village = Village(township_id=township.id, code=f"{COUNTY}{suffix}{i:03d}", name=vname)
                session.add(village)
                session.flush()
                self.villages.append(VillageRow(village.id, vname, vslug, name, village.code))

    def load_people(self, session: Session) -> None:
        rng, today = self.rng, self.time.today
        school_year = today.year if today.month >= 7 else today.year - 1
        for village in self.villages:
            count, household = 0, 0
            while count < PERSONS_PER_VILLAGE:
                household += 1
                # The first two households of a village each have a graduate for its 大学生公岗.
                size = rng.choice((3, 4)) if household <= 2 else rng.choice((1, 2, 2, 3, 3, 4))
                r = rng.random()
                groups = set()
                if r < 0.55:
                    groups.add("poverty_alleviated")
                    if rng.random() < 0.3:
                        groups.add("relocated")
                elif r < 0.85:
                    groups.add("rural_low_income")
                head_male = rng.random() < 0.6
                head_age = rng.randint(42, 60) if size >= 3 else rng.randint(24, 60)
                members = [(head_male, head_age)]
                if size >= 2:
                    members.append((not head_male, max(20, head_age + rng.randint(-5, 4))))
                members += [
                    (rng.random() < 0.5, rng.randint(18, min(30, head_age - 20))) for _ in range(size - 2)
                ]
                for k, (male, age) in enumerate(members):
                    graduate = None
                    if k == 2 and household <= 2:
                        age = rng.randint(22, 27)
                        graduate = date(school_year - rng.choice((0, 1, 1)), 7, 1)
                    elif k >= 2 and age >= 21 and rng.random() < 0.4:
                        graduate = date(school_year - rng.choice((0, 0, 1, 2)), 7, 1)
                    if age >= 52:
                        labour = rng.choice(("full", "weak", "weak", "half"))
                    else:
                        labour = rng.choices(("full", "weak", "half"), (78, 13, 9))[0]
                    birth = today - timedelta(days=365 * age + rng.randint(30, 330))
                    name = self.name(male)
                    person = create_person(
                        session,
                        self.db,
                        PersonInput(
                            name=name,
                            id_number=self.id_number(birth, male),
                            village_id=village.id,
                            target_groups=tuple(sorted(groups)),
                            labour_capacity=labour,
                            phone=self.phone(),
                            household_no=f"{village.code}{household:03d}",
                            bank_account=self.bank_card(),
                            graduate_left_school=graduate,
                        ),
                    )
                    self.persons.append(
                        PersonRow(person.id, name, village, frozenset(groups), labour, male, age, graduate)
                    )
                    count += 1

    # Household members the labour-force figures must leave out, unless marked: a teenager, an
    # old parent without labour, a working-age adult without labour (illness, disability), and
    # a fit 63-year-old marked as labour force. Added last, with their own random source, so
    # that the claims and contracts above (and the tests that read them) stay as they were.
    EXTRA_MEMBERS = (
        (14, "full", False, 1),
        (72, "none", False, 2),
        (45, "none", False, 3),
        (63, "weak", True, 4),
    )

    def load_outside_labour_force(self) -> None:
        main, self.rng = self.rng, random.Random(4006)
        today = self.time.today
        try:
            with self.db.transaction() as session:
                for village in self.villages:
                    for age, labour, override, household in self.EXTRA_MEMBERS:
                        male = self.rng.random() < 0.5
                        birth = today - timedelta(days=365 * age + self.rng.randint(30, 330))
                        create_person(
                            session,
                            self.db,
                            PersonInput(
                                name=self.name(male),
                                id_number=self.id_number(birth, male),
                                village_id=village.id,
                                target_groups=self._groups_of(session, village.id, household),
                                labour_capacity=labour,
                                labour_force_override=override,
                                household_no=f"{village.code}{household:03d}",
                            ),
                        )
        finally:
            self.rng = main

    @staticmethod
    def _groups_of(session: Session, village_id: int, household: int) -> tuple[str, ...]:
        code = session.scalar(select(Village.code).where(Village.id == village_id))
        groups = (
            session.scalar(
                select(Person.target_groups).where(Person.household_no == f"{code}{household:03d}").limit(1)
            )
            or ""
        )
        return tuple(g for g in groups.split(",") if g)
