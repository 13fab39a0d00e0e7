"""The bureau's labour-force data: the working-age range, the plan's baseline per year, and a
person's labour capacity and override.

The working-age range is one standing definition (every month of the trend is read with it),
not a per-year target, so it is kept as an admin setting in the ``setting`` table under
``working_age`` (with who changed it and when, like the deadlines) rather than in the baseline
table; ``TimeRules`` ignores keys it does not know. The baseline is per year: the plan counts
the county's people for its year, and next year's count is a new row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from workflow.errors import NotFound, TransitionRefused, ValidationFailed
from workflow.identity import shows_birth_date
from workflow.labour import (
    HIGHEST_AGE,
    LOWEST_AGE,
    WorkingAge,
    age_on,
    check_capacity,
    check_working_age,
    in_labour_force,
    of_working_age,
)
from workflow.roles import Actor, Role, is_county_wide

from ..db import Database
from ..models import Person
from ..timerules.models import Setting
from .labour_models import PlanBaseline
from .persons import get_person

WORKING_AGE_KEY = "working_age"
# A county's count; anything larger is a typo (a province would have its own installation).
MAX_PEOPLE = 10_000_000
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise TransitionRefused("settings.admin_only", "只有系统管理员可以修改劳动年龄和规划基数")


# --------------------------------------------------------------------------------------
# Working age
# --------------------------------------------------------------------------------------


def working_age(session: Session | Connection) -> WorkingAge:
    """The range in force: the admin's, or 16–60 when none was set (or the record is damaged)."""
    stored = session.execute(select(Setting.value).where(Setting.key == WORKING_AGE_KEY)).scalar()
    if isinstance(stored, Mapping):
        try:
            return check_working_age(stored.get("min_age"), stored.get("max_age"))
        except ValidationFailed:
            pass
    return WorkingAge()


def set_working_age(db: Database, actor: Actor, min_age: object, max_age: object) -> WorkingAge:
    _require_admin(actor)
    ages = check_working_age(min_age, max_age)
    value = {"min_age": ages.min_age, "max_age": ages.max_age}
    with db.transaction() as s:
        row = s.get(Setting, WORKING_AGE_KEY, with_for_update=True)
        now = db.clock.now()
        if row is None:
            s.add(Setting(key=WORKING_AGE_KEY, value=value, updated_at=now, updated_by=actor.user_id))
        else:
            row.value, row.updated_at, row.updated_by = value, now, actor.user_id
    return ages


AGE_LIMITS = (LOWEST_AGE, HIGHEST_AGE)


# --------------------------------------------------------------------------------------
# The plan's baseline
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    year: int
    low_income_people: int
    labour_force: int
    updated_by: int
    updated_at: datetime


def _baseline(row: PlanBaseline) -> Baseline:
    return Baseline(row.year, row.low_income_people, row.labour_force, row.updated_by, row.updated_at)


def baselines(session: Session) -> list[Baseline]:
    """Every year's baseline, newest first."""
    rows = session.scalars(select(PlanBaseline).order_by(PlanBaseline.year.desc()))
    return [_baseline(r) for r in rows]


def baseline_for(session: Session, year: int) -> Baseline | None:
    row = session.get(PlanBaseline, year)
    return None if row is None else _baseline(row)


def _count(raw: object, field: str, label: str) -> int:
    text = str(raw).strip().replace(",", "").replace("，", "") if raw is not None else ""
    if not (text.isascii() and text.isdigit()):
        raise ValidationFailed("validation.integer", f"“{label}”须为整数（人）", field=field)
    value = int(text)
    if value > MAX_PEOPLE:
        raise ValidationFailed("validation.too_large", f"“{label}”不能大于{MAX_PEOPLE}", field=field)
    return value


def check_baseline(year: object, low_income_people: object, labour_force: object) -> tuple[int, int, int]:
    y = str(year).strip() if year is not None else ""
    if not (y.isascii() and y.isdigit() and FIRST_YEAR <= int(y) <= LAST_YEAR):
        raise ValidationFailed(
            "validation.year", f"“年度”须在{FIRST_YEAR}年到{LAST_YEAR}年之间", field="year"
        )
    people = _count(low_income_people, "low_income_people", "低收入人口")
    labour = _count(labour_force, "labour_force", "其中劳动力")
    if labour > people:
        raise ValidationFailed(
            "validation.labour_over_people", "劳动力人数不能多于低收入人口人数", field="labour_force"
        )
    return int(y), people, labour


def set_baseline(
    db: Database, actor: Actor, year: object, low_income_people: object, labour_force: object
) -> Baseline:
    """Create or replace a year's baseline (the admin's count of the plan's people)."""
    _require_admin(actor)
    y, people, labour = check_baseline(year, low_income_people, labour_force)
    with db.transaction() as s:
        row = s.get(PlanBaseline, y, with_for_update=True)
        now = db.clock.now()
        if row is None:
            row = PlanBaseline(
                year=y,
                low_income_people=people,
                labour_force=labour,
                updated_by=actor.user_id,
                updated_at=now,
            )
            s.add(row)
        else:
            row.low_income_people, row.labour_force = people, labour
            row.updated_by, row.updated_at = actor.user_id, now
        s.flush()
        return _baseline(row)


# --------------------------------------------------------------------------------------
# A person's labour capacity and override
# --------------------------------------------------------------------------------------


def may_edit_person(actor: Actor, person: Person) -> bool:
    """HR and the admin for the county; a village verifier for the people of their villages
    (who know whether a neighbour can work)."""
    if actor.roles & {Role.HR, Role.ADMIN}:
        return True
    return Role.VILLAGE in actor.roles and person.village_id in actor.village_ids


def set_labour_status(db: Database, actor: Actor, person_id: int, capacity: str, override: bool) -> Person:
    """Record what a person can do (劳动能力) and whether they count as labour force although
    outside the working-age range."""
    check_capacity(capacity)
    with db.transaction() as s:
        person = get_person(s, person_id)
        if not may_see_person(actor, person):
            raise NotFound("not_found.person", "未找到该人员", id=person_id)
        if not may_edit_person(actor, person):
            raise TransitionRefused("person.not_yours", "只有人社、系统管理员和本村核实员可以修改劳动力信息")
        person.labour_capacity = capacity
        person.labour_force_override = bool(override)
        s.flush()
        s.expunge(person)
        return person


@dataclass(frozen=True)
class PersonLabour:
    """What a person page shows about one person's labour status, the ID number masked."""

    id: int
    name: str
    id_masked: str
    birth_date: date | None  # only for HR and the village verifier (workflow.identity)
    age: int
    sex: str
    village: str
    household_no: str | None
    target_groups: frozenset[str]
    capacity: str
    override: bool
    ages: WorkingAge
    of_working_age: bool
    labour_force: bool
    editable: bool


def may_see_person(actor: Actor, person: Person) -> bool:
    if is_county_wide(actor):
        return True
    return Role.VILLAGE in actor.roles and person.village_id in actor.village_ids


def person_labour(db: Database, actor: Actor, person_id: int) -> PersonLabour:
    """A person's labour status today; another village's person is not found (as for claims)."""
    today = db.clock.now().date()
    with db.transaction() as s:
        person = s.get(Person, person_id)
        if person is None or not may_see_person(actor, person):
            raise NotFound("not_found.person", "未找到该人员", id=person_id)
        ages = working_age(s)
        return PersonLabour(
            person.id,
            person.name,
            "*" * 14 + db.vault.tail(person.id_number_enc),
            person.birth_date if shows_birth_date(actor.roles) else None,
            age_on(person.birth_date, today),
            person.sex,
            person.village.name,
            person.household_no,
            person.target_group_set,
            person.labour_capacity,
            person.labour_force_override,
            ages,
            of_working_age(person.birth_date, today, ages),
            in_labour_force(
                person.labour_capacity, person.birth_date, person.labour_force_override, today, ages
            ),
            may_edit_person(actor, person),
        )
