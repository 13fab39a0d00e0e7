"""Bulk lists (申报清单): an agent uploads many claims at once; each row is filed or refused.

One database transaction per list. Everything a row's rules need is read up front in a few
queries (the villages, the persons by ID hash, the live claims of every person in the list,
the policy parameters, the contracts), the rows are checked in memory with the same rules as
a single claim (``workflow.lists.check``), and the accepted rows are written in bulk: new
persons, claims (batch ``L{list id}``) and their first history rows. A refused row is
reported with its row number, column and reason and changes nothing. If the bulk write meets
a concurrent upload that took the same place (a unique constraint), the list is checked again
and written row by row, each in its own savepoint.

The list itself is stored with every row's outcome (ID and bank numbers masked), also for a
dry run, so that its result file can be downloaded.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.errors import DomainError, NotFound
from workflow.lists.check import ABSORPTION, Candidate, check_rows
from workflow.lists.columns import HEADER_OF, ListRow, RowError, cell_masker, clean_text, error_of, read_row
from workflow.lists.parse import read_list
from workflow.lists.result import result_workbook_bytes
from workflow.roles import Actor
from workflow.rules import ClaimDraft, OtherClaim, PersonFacts
from workflow.rules.facts import facts_from_record
from workflow.states import CLAIM_DEAD_STATES

from ..db import Database
from ..models import Claim, ClaimHistory, ClaimList, Contract, Organisation, Person, Village
from ..people.persons import PersonInput, person_values
from ..people.register import claimant_facts
from ..policy.versions import version_in_force
from ..timerules import timecache
from ..transitions import Opening, opening
from .filing import ClaimInput, all_params, claim_values, claimant_of, load_params, year_of
from .post_claims import CONTRACT_COLUMNS, contract_facts, month_workdays

MAX_ID = 2**31 - 1  # INTEGER ids (PostgreSQL int4)
CHUNK = 10_000  # bound parameters per IN (...) look-up
DEAD = [s.value for s in CLAIM_DEAD_STATES]


@dataclass(frozen=True)
class RowOutcome:
    row: int
    status: str  # accepted / refused / valid (a dry run's row that would be accepted)
    claim_id: int | None = None
    amount: Decimal | None = None
    errors: tuple[RowError, ...] = ()  # (column header, code, Chinese message)


@dataclass(frozen=True)
class ListReport:
    list_id: int
    dry_run: bool
    rows_total: int
    rows_accepted: int  # filed; in a dry run, the rows that would be
    rows_refused: int
    rows: tuple[RowOutcome, ...]


# ----------------------------------------------------------------------------- entry points


def upload_list(
    db: Database, actor: Actor, filename: str, content: bytes, *, dry_run: bool = False
) -> ListReport:
    """Check every row of an uploaded list and file the valid ones as claims (unless dry run).

    Raises ``ValidationFailed`` (``validation.list_*``) for a file that cannot be read at all
    and ``TransitionRefused`` for an actor who is not an agent of an organisation.
    """
    with db.transaction() as session:
        org = claimant_of(session, actor)
    raw = read_list(filename, content)
    index = raw.columns.index
    read = [read_row(number, {f: cells[i] for f, i in index.items()}) for number, cells in raw.rows]
    now = db.clock.now()
    with db.transaction() as session:
        claim_list = ClaimList(
            org_id=org.id,
            uploaded_by=actor.user_id,
            filename=clean_text(filename or "")[-200:],
            file_format=raw.file_format,
            sha256=hashlib.sha256(content).hexdigest(),
            dry_run=dry_run,
            outcomes={},
            created_at=now,
        )
        session.add(claim_list)
        session.flush()  # the first write: on SQLite the list holds the write lock from here
        filer = _Filer(session, db, actor, org, claim_list.id, now)
        outcomes = filer.run([r for r in read if isinstance(r, ListRow)], dry_run)
        rows: list[RowOutcome] = []
        stored: list[dict[str, Any]] = []
        masked = cell_masker(raw.headers)
        for (number, cells), item in zip(raw.rows, read, strict=True):
            if isinstance(item, ListRow):
                outcome = outcomes[number]
            else:
                outcome = RowOutcome(number, "refused", errors=item)
            rows.append(outcome)
            stored.append(
                {
                    "row": number,
                    "cells": masked(cells),
                    "status": outcome.status,
                    "claim_id": outcome.claim_id,
                    "amount": None if outcome.amount is None else str(outcome.amount),
                    "errors": [list(e) for e in outcome.errors],
                }
            )
        accepted = sum(r.status != "refused" for r in rows)
        claim_list.rows_total = len(rows)
        claim_list.rows_accepted = accepted
        claim_list.rows_refused = len(rows) - accepted
        claim_list.outcomes = {"headers": list(raw.headers), "rows": stored}
        list_id = claim_list.id
    return ListReport(list_id, dry_run, len(rows), accepted, len(rows) - accepted, tuple(rows))


def get_list(db: Database, actor: Actor, list_id: int) -> ClaimList:
    """An uploaded list of the actor's own organisation; any other is not found."""
    if not 1 <= list_id <= MAX_ID:  # no database can look it up: nobody has it
        raise NotFound("not_found.list", "未找到该清单", id=list_id)
    with db.transaction() as session:
        claim_list = session.get(ClaimList, list_id)
        if claim_list is None or actor.org_id is None or claim_list.org_id != actor.org_id:
            raise NotFound("not_found.list", "未找到该清单", id=list_id)
        return claim_list


def result_workbook(claim_list: ClaimList) -> bytes:
    """The result file (.xlsx): every row with its outcome, refused rows highlighted."""
    outcomes = claim_list.outcomes or {}
    return result_workbook_bytes(
        outcomes.get("headers", []),
        outcomes.get("rows", []),
        filename=claim_list.filename,
        dry_run=claim_list.dry_run,
        created_at=claim_list.created_at,
        list_id=claim_list.id,
    )


def list_outcomes(claim_list: ClaimList) -> ListReport:
    """A stored list as the report its upload returned."""
    rows = tuple(
        RowOutcome(
            r["row"],
            r["status"],
            r.get("claim_id"),
            None if r.get("amount") is None else Decimal(r["amount"]),
            tuple(RowError(*e) for e in r.get("errors") or ()),
        )
        for r in (claim_list.outcomes or {}).get("rows", [])
    )
    return ListReport(
        claim_list.id,
        claim_list.dry_run,
        claim_list.rows_total,
        claim_list.rows_accepted,
        claim_list.rows_refused,
        rows,
    )


# ----------------------------------------------------------------------------- filing


@dataclass
class _NewPerson:
    """A person the list registers: the first row naming the ID number describes them."""

    key: int  # a negative placeholder id until inserted
    row: ListRow
    village_id: int
    digest: str
    id: int | None = None


@dataclass
class _Checked:
    candidates: dict[int, Candidate] = field(default_factory=dict)  # by row number
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    new_persons: dict[str, _NewPerson] = field(default_factory=dict)  # by ID digest
    inputs: dict[int, ClaimInput] = field(default_factory=dict)
    village_of: dict[int, int] = field(default_factory=dict)  # person id -> village id


class _Filer:
    def __init__(
        self, session: Session, db: Database, actor: Actor, org: Organisation, list_id: int, now: datetime
    ) -> None:
        self.session, self.db, self.actor, self.now = session, db, actor, now
        self.batch_ref = f"L{list_id}"
        self.today = now.date()
        self.claimant = claimant_facts(org)
        self.opened: Opening | None = None  # made when the accepted rows are stored

    def run(self, rows: Sequence[ListRow], dry_run: bool) -> dict[int, RowOutcome]:
        checked = self._check(rows)
        if dry_run:
            return self._report(rows, checked, {})
        try:
            with self.session.begin_nested():
                ids = self._store_bulk(checked)
        except Exception as exc:
            if not _lost_race(exc):
                raise
            # Another upload or claim took a place between our reads and our writes: read
            # again, check again, and write row by row so that only the losing rows fail.
            checked = self._check(rows)
            ids = self._store_each(checked)
        return self._report(rows, checked, ids)

    # ------------------------------------------------------------------------ checking

    def _check(self, rows: Sequence[ListRow]) -> _Checked:
        s, db = self.session, self.db
        out = _Checked()
        villages = dict(
            _chunked(
                s,
                select(Village.code, Village.id),
                Village.code,
                {r.village_code for r in rows if r.village_code},
            )
        )
        digests = {r.id_number: db.vault.digest(r.id_number) for r in rows}
        persons = {
            p.id_number_hash: p
            for p in _chunked(
                s,
                select(
                    Person.id, Person.name, Person.id_number_hash, Person.target_groups, Person.village_id
                ),
                Person.id_number_hash,
                set(digests.values()),
            )
        }
        known_years = all_params(s)
        contract_ids = {r.contract_id for r in rows if r.contract_id is not None}
        contracts = {
            c.id: contract_facts(c) for c in _chunked(s, select(*CONTRACT_COLUMNS), Contract.id, contract_ids)
        }
        cal = timecache.calendar(db, s)

        for row in rows:
            errors: list[RowError] = []
            year, year_params, facts = 0, None, None
            try:
                facts = facts_from_record(row.facts)
                fix = year_of(known_years, row.subsidy_type, row.policy_year, facts, self.today)
                year, year_params = fix.year, known_years.get(fix.year)
                if year_params is None:
                    load_params(s, fix.year, fix.reason)  # raises, naming the year and why
            except DomainError as exc:
                errors.append(error_of(exc))
            if row.village_code and row.village_code not in villages:
                errors.append(
                    RowError(
                        HEADER_OF["village_code"],
                        "validation.village",
                        f"行政村代码“{row.village_code}”不存在",
                    )
                )
            digest = digests[row.id_number]
            known = persons.get(digest)
            if known is not None:
                person_id, groups = known.id, _groups(known.target_groups)
                out.village_of[known.id] = known.village_id
                if not _same_name(known.name, row.name):
                    errors.append(
                        RowError(
                            HEADER_OF["name"],
                            "validation.name_mismatch",
                            "姓名与系统中该身份证号的登记信息不一致",
                        )
                    )
            else:
                new = out.new_persons.get(digest)
                if new is None and not errors:
                    if row.village_code is None:
                        errors.append(
                            RowError(
                                HEADER_OF["village_code"],
                                "validation.required",
                                "新登记人员须填写“行政村代码”",
                            )
                        )
                    else:
                        new = _NewPerson(-(len(out.new_persons) + 1), row, villages[row.village_code], digest)
                        out.new_persons[digest] = new
                elif new is not None and not _same_name(new.row.name, row.name):
                    errors.append(
                        RowError(
                            HEADER_OF["name"],
                            "validation.name_mismatch",
                            f"与清单第{new.row.row}行身份证号相同但姓名不一致",
                        )
                    )
                person_id = new.key if new else 0
                groups = frozenset(new.row.target_groups) if new else frozenset()
            contract = None
            if row.contract_id is not None:
                contract = contracts.get(row.contract_id)
                if contract is None:
                    errors.append(RowError(HEADER_OF["contract_id"], "validation.contract", "协议不存在"))
            if errors:
                out.errors[row.row] = errors
                continue
            assert year_params is not None and facts is not None
            out.candidates[row.row] = Candidate(
                row.row,
                ClaimDraft(
                    subsidy_type=row.subsidy_type,
                    policy_year=year,
                    person=PersonFacts(person_id, groups),
                    claimant=self.claimant,
                    facts=facts,
                    contract=contract,
                    month_workdays=month_workdays(cal, row.subsidy_type, facts.month),
                ),
                year_params,
            )
            out.inputs[row.row] = ClaimInput(
                row.subsidy_type, person_id, year, row.facts, row.contract_id, self.batch_ref
            )

        self.live = self._live(out.candidates.values())
        outcomes, refused = check_rows(list(out.candidates.values()), *self.live, self.today)
        for number, error in refused.items():
            out.errors[number] = [error]
            del out.candidates[number]
        self.outcomes = outcomes
        return out

    def _live(
        self, candidates: Iterable[Candidate]
    ) -> tuple[dict[int, list[OtherClaim]], dict[str, list[OtherClaim]]]:
        """The live claims (any claimant) of the list's known persons, and the claimant's own
        live claims (any year) of the absorption types the list files."""
        cands = list(candidates)
        person_ids = {c.draft.person.id for c in cands if c.draft.person.id > 0}
        cols = (
            Claim.subsidy_type,
            Claim.person_id,
            Claim.claimant_org_id,
            Claim.policy_year,
            Claim.dedupe_key,
            Claim.exclusion_key,
        )
        by_person: dict[int, list[OtherClaim]] = {}
        for row in _chunked(
            self.session, select(*cols).where(Claim.state.not_in(DEAD)), Claim.person_id, person_ids
        ):
            by_person.setdefault(row.person_id, []).append(OtherClaim(*row))
        by_claimant: dict[str, list[OtherClaim]] = {}
        wanted = {c.draft.subsidy_type for c in cands if c.draft.subsidy_type in ABSORPTION}
        if wanted:
            q = select(*cols).where(
                Claim.state.not_in(DEAD),
                Claim.claimant_org_id == self.claimant.id,
                Claim.subsidy_type.in_(wanted),
            )
            for row in self.session.execute(q):
                by_claimant.setdefault(row.subsidy_type, []).append(OtherClaim(*row))
        return by_person, by_claimant

    # ------------------------------------------------------------------------ storing

    def _store_bulk(self, checked: _Checked) -> dict[int, int]:
        """Insert the new persons, then the claims, then their history rows, in bulk."""
        needed = sorted(self._needed_persons(checked), key=lambda p: p.digest)  # lock order
        if needed:
            ids = _insert_many(self.session, Person.__table__, [self._person_values(p) for p in needed])
            for person, pid in zip(needed, ids, strict=True):
                person.id = pid
        final = self._final(checked)
        if not final:
            return {}
        ids = _insert_many(self.session, Claim.__table__, [values for _, values in final])
        _insert_many(
            self.session,
            ClaimHistory.__table__,
            self._opened().history_rows(ids),
            returning=False,
        )
        return dict(zip([number for number, _ in final], ids, strict=True))

    def _store_each(self, checked: _Checked) -> dict[int, int]:
        """Row by row, each in a savepoint: a row that lost a race is refused as a duplicate."""
        ids: dict[int, int] = {}
        failed_persons: set[int] = set()
        for person in self._needed_persons(checked):
            try:
                with self.session.begin_nested():
                    person.id = self.session.scalar(
                        insert(Person.__table__).returning(Person.__table__.c.id), self._person_values(person)
                    )
            except IntegrityError:
                failed_persons.add(person.key)
        for number in [n for n, c in checked.candidates.items() if c.draft.person.id in failed_persons]:
            del checked.candidates[number]
            checked.errors[number] = [
                RowError(
                    HEADER_OF["id_number"],
                    "conflict.person_registered",
                    "该人员刚刚由其他单位登记，请重新上传此行",
                )
            ]
        for number, values in self._final(checked):
            try:
                with self.session.begin_nested():
                    claim_id = self.session.scalar(
                        insert(Claim.__table__).returning(Claim.__table__.c.id), values
                    )
                    self.session.execute(
                        insert(ClaimHistory.__table__), self._opened().history_rows([claim_id])
                    )
                ids[number] = claim_id
            except IntegrityError:
                del checked.candidates[number]
                checked.errors[number] = [
                    RowError(HEADER_OF["id_number"], "rule.duplicate", "该人员已有同类补贴申请，不得重复申请")
                ]
        return ids

    def _needed_persons(self, checked: _Checked) -> list[_NewPerson]:
        keys = {c.draft.person.id for c in checked.candidates.values() if c.draft.person.id < 0}
        return [p for p in checked.new_persons.values() if p.key in keys]

    def _final(self, checked: _Checked) -> list[tuple[int, dict[str, Any]]]:
        """The accepted rows with the new persons' real ids, checked again (their keys name the
        person), as claim rows ready to insert."""
        real = {p.key: p for p in checked.new_persons.values() if p.id is not None}
        cands = []
        for c in checked.candidates.values():
            pid = c.draft.person.id
            if pid < 0:
                new = real[pid]
                assert new.id is not None
                checked.village_of[new.id] = new.village_id
                c = replace(c, draft=replace(c.draft, person=replace(c.draft.person, id=new.id)))
                checked.candidates[c.row] = c
                checked.inputs[c.row] = replace(checked.inputs[c.row], person_id=new.id)
            cands.append(c)
        # The live claims read for the check still hold: new persons have none, and a claim
        # filed since by someone else meets the unique constraints on insert.
        outcomes, refused = check_rows(cands, *self.live, self.today)
        for number, error in refused.items():  # none: the accepted rows are a fixpoint
            checked.errors[number] = [error]
            del checked.candidates[number]
        self.outcomes = outcomes
        self.opened = opening(self.db, self.session, "claim", self.actor, self.now)
        return [
            (
                c.row,
                claim_values(
                    checked.inputs[c.row],
                    c.draft,
                    outcomes[c.row],
                    claimant_id=self.claimant.id,
                    village_id=checked.village_of[c.draft.person.id],
                    opened=self.opened,
                    params_version_id=version_in_force(self.session, c.draft.policy_year),
                ),
            )
            for c in checked.candidates.values()
        ]

    def _opened(self) -> Opening:
        assert self.opened is not None  # _final made it
        return self.opened

    def _person_values(self, person: _NewPerson) -> dict[str, Any]:
        row = person.row
        values = person_values(
            self.db,
            PersonInput(
                name=row.name,
                id_number=row.id_number,
                village_id=person.village_id,
                target_groups=tuple(row.target_groups),
                labour_capacity=row.labour_capacity,
                labour_force_override=row.labour_force_override,
                phone=row.phone,
                household_no=row.household_no,
                bank_account=row.bank_account,
                registered_by_org_id=self.claimant.id,
            ),
            row.id_number,
            row.bank_account,
            row.name,
        )
        values["created_at"] = self.now
        return values

    # ------------------------------------------------------------------------ reporting

    def _report(
        self, rows: Sequence[ListRow], checked: _Checked, ids: dict[int, int]
    ) -> dict[int, RowOutcome]:
        out: dict[int, RowOutcome] = {}
        for row in rows:
            number = row.row
            if number in checked.errors:
                out[number] = RowOutcome(number, "refused", errors=tuple(checked.errors[number]))
            elif number in ids:
                out[number] = RowOutcome(number, "accepted", ids[number], self.outcomes[number].amount)
            else:
                out[number] = RowOutcome(number, "valid", None, self.outcomes[number].amount)
        return out


def _insert_many(
    session: Session, table: Any, rows: list[dict[str, Any]], *, returning: bool = True
) -> list[int]:
    """Insert rows in bulk and return their ids in order.

    SQLite: one multi-row INSERT ... RETURNING per thousand rows. PostgreSQL: ids taken from
    the table's sequence in one query, then COPY, which is several times faster than a
    multi-row INSERT of the same rows (psycopg re-parses each long statement).
    """
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        if not returning:
            session.execute(insert(table), rows)
            return []
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, rows).all())
    ids: list[int] = []
    if returning:
        ids = list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": len(rows)},
            ).all()
        )
        rows = [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
    columns = [c for c in table.c if c.name in rows[0] or _scalar_default(c) is not None]
    defaults = {c.name: _scalar_default(c) for c in columns}
    json_columns = {c.name for c in columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c.name]) if c.name in json_columns else row.get(c.name, defaults[c.name])
                    for c in columns
                ]
            )
    return ids


def _lost_race(exc: BaseException) -> bool:
    """A unique constraint met, or (PostgreSQL) a deadlock with another upload inserting the
    same keys in another order: from SQLAlchemy, or from psycopg itself under COPY."""
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) in ("23505", "40P01")


def _scalar_default(column: Any) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def _chunked(session: Session, query: Any, column: Any, values: Iterable[Any]) -> list[Any]:
    """``query`` filtered by ``column IN values``, a few thousand values per statement."""
    items = sorted(values)
    found: list[Any] = []
    for start in range(0, len(items), CHUNK):
        found += session.execute(query.where(column.in_(items[start : start + CHUNK]))).all()
    return found


def _groups(stored: str) -> frozenset[str]:
    return frozenset(g for g in stored.split(",") if g)


def _same_name(stored: str, given: str) -> bool:
    """Names compared without spaces and with the dots of Tibetan or Uyghur names unified."""

    def norm(name: str) -> str:
        return re.sub(r"[\s·•．.]", "", name)

    return norm(stored) == norm(given)
