"""People, organisations and places: ID numbers validated, encrypted at rest, found by keyed hash."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow.dates import plausible_day
from workflow.errors import NotFound, ValidationFailed
from workflow.identity import (
    birth_date,
    normalise_bank_account,
    normalise_credit_code,
    normalise_id_number,
    sex,
)
from workflow.labour import check_capacity
from workflow.states import OrgKind, TargetGroup
from workflow.text_input import checked_name, plain_number

from ..db import Database
from ..models import Organisation, Person, Village


@dataclass(frozen=True)
class PersonInput:
    name: str
    id_number: str
    village_id: int
    target_groups: tuple[str, ...] = ()
    labour_capacity: str = "full"
    labour_force_override: bool = False  # labour force although outside the working-age range
    phone: str | None = None
    household_no: str | None = None
    bank_account: str | None = None
    graduate_left_school: date | None = None
    registered_by_org_id: int | None = None


def person_values(
    db: Database, data: PersonInput, id_number: str, bank: str | None, name: str
) -> dict[str, object]:
    """The columns of a new person: numbers encrypted, a keyed hash to find them again."""
    return dict(
        name=name,
        id_number_enc=db.vault.encrypt(id_number),
        id_number_hash=db.vault.digest(id_number),
        id_tail_hash=db.vault.tail_digest(id_number[-4:]),
        birth_date=birth_date(id_number),
        sex=sex(id_number),
        phone=data.phone,
        village_id=data.village_id,
        household_no=data.household_no,
        bank_account_enc=db.vault.encrypt(bank) if bank else None,
        bank_last4=bank[-4:] if bank else None,
        target_groups=",".join(sorted(set(data.target_groups))),
        labour_capacity=data.labour_capacity,
        labour_force_override=data.labour_force_override,
        graduate_left_school=data.graduate_left_school,
        registered_by_org_id=data.registered_by_org_id,
        created_at=db.clock.now(),
    )


_BY_DIGEST = select(Person).where(Person.id_number_hash.in_(bindparam("digests", expanding=True)))


def find_person(session: Session, db: Database, id_number: str) -> Person | None:
    """The person registered under the ID number: the keyed hash under each key of the ring
    (while a rotation runs, a row not yet re-hashed holds the older one)."""
    digests = list(db.vault.digests(normalise_id_number(id_number)))
    return session.scalars(_BY_DIGEST, {"digests": digests}).first()


def checked_values(db: Database, data: PersonInput) -> dict[str, object]:
    """A new person's columns, every field checked (none read from the database): the ID
    number's check digit and birth date, the name, the groups, the capacity, the bank account."""
    id_number = normalise_id_number(data.id_number)
    name = checked_name(data.name, "name", "姓名")
    if not name:
        raise ValidationFailed("validation.required", "缺少“姓名”", field="name")
    for group in data.target_groups:
        if group not in TargetGroup.__members__.values():
            raise ValidationFailed(
                "validation.target_group", f"未知的帮扶对象类别“{group}”", field="target_groups"
            )
    check_capacity(data.labour_capacity)
    if data.graduate_left_school is not None:
        plausible_day(data.graduate_left_school, "graduate_left_school", "毕业离校日期")
    bank = normalise_bank_account(data.bank_account) if data.bank_account else None
    if data.phone:
        data = replace(data, phone=plain_number(data.phone, "phone", "phone", "联系电话").strip() or None)
    return person_values(db, data, id_number, bank, name)


def create_person(session: Session, db: Database, data: PersonInput, looked: bool = False) -> Person:
    """A new person, or the one already registered under the same ID number (``looked``: the
    caller has just found none, in this transaction)."""
    values = checked_values(db, data)
    if session.get(Village, data.village_id) is None:
        raise ValidationFailed("validation.village", "行政村不存在", field="village_id")
    if not looked and (existing := find_person(session, db, data.id_number)):
        return existing
    person = session.scalars(new_person(session).values(**values).returning(Person)).first()
    if person is None:  # registered by someone else a moment ago: theirs is the one
        found = find_person(session, db, data.id_number)
        if found is None:  # the conflict was not the ID number after all
            raise ValidationFailed("validation.person", "人员登记失败，请重试", field="id_number")
        return found
    return person


def new_person(session: Session | Connection) -> SqliteInsert | PostgresInsert:
    """INSERT … ON CONFLICT (the ID number's hash) DO NOTHING: a registration that loses the
    race to the same number inserts nothing and the transaction goes on, with no savepoint
    (which pysqlite cannot nest) and no extra round trip. Both databases speak it."""
    bind = session.get_bind() if isinstance(session, Session) else session
    insert = postgres_insert if bind.dialect.name == "postgresql" else sqlite_insert
    return insert(Person).on_conflict_do_nothing(index_elements=[Person.id_number_hash])


def find_or_create_person(session: Session, db: Database, data: PersonInput) -> tuple[Person, bool]:
    """The person registered under the ID number, or a new one: (the person, whether created
    here). One ID number is one person: registering it again under another name is refused
    (the same-name check); a registration that lost a race to the same number is treated as
    if the other had been first."""
    name = data.name.strip()
    person = find_person(session, db, data.id_number)
    if person is None:
        person = create_person(session, db, data, looked=True)
        if person.registered_by_org_id == data.registered_by_org_id and person.name == name:
            return person, True
    if person.name != name:
        raise ValidationFailed("validation.name_mismatch", "姓名与已登记的身份证号不一致", field="name")
    return person, False


def create_organisation(
    session: Session,
    db: Database,
    *,
    name: str,
    kind: str,
    credit_code: str | None = None,
    recognised: bool = False,
    first_business: bool = False,
    village_id: int | None = None,
    bank_account: str | None = None,
) -> Organisation:
    if kind not in OrgKind.__members__.values():
        raise ValidationFailed("validation.org_kind", f"未知的申报单位类型“{kind}”", field="kind")
    bank = normalise_bank_account(bank_account) if bank_account else None
    org = Organisation(
        name=checked_name(name, "name", "单位名称"),
        kind=kind,
        credit_code=normalise_credit_code(credit_code) if credit_code else None,
        recognised=recognised,
        first_business=first_business,
        village_id=village_id,
        bank_account_enc=db.vault.encrypt(bank) if bank else None,
        bank_last4=bank[-4:] if bank else None,
    )
    session.add(org)
    session.flush()
    return org


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("not_found.person", "未找到该人员", id=person_id)
    return person
