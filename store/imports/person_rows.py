"""An import's persons written: each row's person found by the keyed hash of the ID number
(a few thousand per query), checked (the village exists, the name matches a registered
person, the ID number is not in an earlier row), then the new persons inserted in one bulk
statement with ids reserved in one query (encrypted and hashed as every registration is) and
the registered ones whose filled cells differ updated in one executemany, unless a dry run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from workflow.lists.persons import HEADER, PersonRow
from workflow.lists.rows import RowError

from ..claims.bulk_sql import chunked, insert_many, reserve_ids
from ..claims.list_rows import same_name
from ..db import Database
from ..models import Person, Village
from ..people.persons import PersonInput, person_values
from .outcomes import ImportRow

_KNOWN = (
    Person.id,
    Person.name,
    Person.id_number_hash,
    Person.village_id,
    Person.household_no,
    Person.target_groups,
    Person.labour_capacity,
    Person.labour_force_override,
    Person.phone,
    Person.bank_account_enc,
    Person.graduate_left_school,
)
# The cells an update may change: (field of the row, column of the person).
_PLAIN = (
    ("household_no", "household_no"),
    ("labour_capacity", "labour_capacity"),
    ("labour_force_override", "labour_force_override"),
    ("phone", "phone"),
    ("graduate_left_school", "graduate_left_school"),
)


def import_persons(
    session: Session, db: Database, rows: Sequence[PersonRow], dry_run: bool, now: datetime
) -> dict[int, ImportRow]:
    """Every row's outcome by row number; the persons written unless ``dry_run``."""
    villages: dict[str, int] = {code: vid for code, vid in session.execute(select(Village.code, Village.id))}
    # Under every key of the ring: rows not yet re-hashed by a rotation hold the older one.
    every = {r.id_number: db.vault.digests(r.id_number) for r in rows}
    digests = {number: found[0] for number, found in every.items()}
    by_hash = {
        p.id_number_hash: p
        for p in chunked(
            session, select(*_KNOWN), Person.id_number_hash, {d for f in every.values() for d in f}
        )
    }
    known = {digests[n]: next((by_hash[d] for d in f if d in by_hash), None) for n, f in every.items()}
    outcomes: dict[int, ImportRow] = {}
    first: dict[str, int] = {}
    new: list[tuple[PersonRow, int]] = []
    updates: list[dict[str, Any]] = []
    for r in rows:
        digest = digests[r.id_number]
        village_id = villages.get(r.village_code)
        person = known.get(digest)
        errors = _errors(r, village_id, person, first.get(digest))
        first.setdefault(digest, r.row)
        if errors:
            outcomes[r.row] = ImportRow(r.row, "refused", errors=tuple(errors))
            continue
        assert village_id is not None
        if person is None:
            new.append((r, village_id))
            outcomes[r.row] = ImportRow(r.row, "created")
            continue
        values, changed = _changes(db, person, r, village_id)
        if values:
            updates.append({"id": person.id, **values})
        outcomes[r.row] = ImportRow(r.row, "updated" if values else "unchanged", person.id, changed)
    if dry_run:
        return outcomes
    ids = reserve_ids(session, Person.__table__, len(new))
    insert_many(
        session,
        Person.__table__,
        [
            {"id": pid, **_new_values(db, r, village_id, now)}
            for (r, village_id), pid in zip(new, ids, strict=True)
        ],
    )
    for (r, _village), pid in zip(new, ids, strict=True):
        outcomes[r.row] = ImportRow(r.row, "created", pid)
    if updates:
        session.execute(update(Person), updates)  # by primary key, grouped by the columns set
    return outcomes


def _errors(
    r: PersonRow, village_id: int | None, person: Row[Any] | None, first: int | None
) -> list[RowError]:
    errors = []
    if village_id is None:
        errors.append(
            RowError(
                HEADER["village_code"],
                "validation.village",
                f"行政村代码“{r.village_code}”不存在，请先导入乡镇和行政村",
            )
        )
    if first is not None:
        errors.append(
            RowError(
                HEADER["id_number"],
                "validation.duplicate_row",
                f"与第{first}行的身份证号相同：同一人员只能出现一次",
            )
        )
    if person is not None and not same_name(person.name, r.name):
        errors.append(
            RowError(
                HEADER["name"],
                "validation.name_mismatch",
                "姓名与系统中该身份证号的登记信息不一致（一个身份证号只能是一个人）",
            )
        )
    return errors


def _new_values(db: Database, r: PersonRow, village_id: int, now: datetime) -> dict[str, object]:
    data = PersonInput(
        name=r.name,
        id_number=r.id_number,
        village_id=village_id,
        target_groups=r.get("target_groups", ()),
        labour_capacity=r.get("labour_capacity", "full"),
        labour_force_override=r.get("labour_force_override", False),
        phone=r.get("phone"),
        household_no=r.get("household_no"),
        bank_account=r.get("bank_account"),
        graduate_left_school=r.left_school,
    )
    values = person_values(db, data, r.id_number, data.bank_account, r.name)
    values["created_at"] = now
    return values


def _changes(
    db: Database, person: Row[Any], r: PersonRow, village_id: int
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The columns of a registered person the row's filled cells change, and their headers."""
    values: dict[str, Any] = {}
    changed: list[str] = []
    if person.village_id != village_id:
        values["village_id"] = village_id
        changed.append(HEADER["village_code"])
    if "target_groups" in r.given:
        groups = ",".join(sorted(set(r.given["target_groups"])))
        if groups != person.target_groups:
            values["target_groups"] = groups
            changed.append(HEADER["target_groups"])
    for name, column in _PLAIN:
        if name in r.given and r.given[name] != getattr(person, column):
            values[column] = r.given[name]
            changed.append(HEADER[name])
    bank = r.given.get("bank_account")
    if bank is not None and (
        person.bank_account_enc is None or db.vault.decrypt(person.bank_account_enc) != bank
    ):
        values["bank_account_enc"], values["bank_last4"] = db.vault.encrypt(bank), bank[-4:]
        changed.append(HEADER["bank_account"])
    return values, tuple(changed)
