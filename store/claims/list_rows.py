"""A list's rows checked one by one against the database: the villages, the persons by ID
hash, the policy years and the contracts are read up front in a few queries, then each row
becomes a rule candidate, a new person to register (with the id reserved for them, so that the
rules see the id the claim will name), or its errors. Checking the rows against one another
and against the live claims is ``list_filer``'s next step."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import DomainError
from workflow.lists.check import Candidate
from workflow.lists.columns import HEADER_OF
from workflow.lists.rows import ListRow, RowError, error_of
from workflow.rules import ClaimantFacts, ClaimDraft, PersonFacts, PolicyParams
from workflow.rules.facts import ClaimFacts, ContractFacts, facts_from_record

from ..db import Database
from ..models import Contract, Person, Village
from ..timerules import timecache
from .bulk_sql import chunked
from .filing import ClaimInput
from .post_claims import CONTRACT_COLUMNS, contract_facts, month_workdays
from .years import all_params, load_params, year_of


@dataclass
class NewPerson:
    """A person the list registers: the first row naming the ID number describes them."""

    key: int  # a negative placeholder id until inserted
    row: ListRow
    village_id: int
    digest: str
    id: int | None = None


@dataclass
class Checked:
    """What checking the rows one by one found, by row number."""

    candidates: dict[int, Candidate] = field(default_factory=dict)  # by row number
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    new_persons: dict[str, NewPerson] = field(default_factory=dict)  # by ID digest
    inputs: dict[int, ClaimInput] = field(default_factory=dict)
    village_of: dict[int, int] = field(default_factory=dict)  # person id -> village id


def check_each(
    session: Session,
    db: Database,
    rows: Sequence[ListRow],
    claimant: ClaimantFacts,
    today: date,
    batch_ref: str,
    reserve: Callable[[int], list[int]] | None = None,
) -> Checked:
    """Every row on its own: a candidate for the rules (with its claim input) or its errors.

    ``reserve(n)`` gives the ids the new persons will be inserted with, so that the rules see
    them (their keys name the person) and run once; without it (a dry run) the new persons
    are known by negative placeholders.
    """
    out = Checked()
    villages = dict(
        chunked(
            session,
            select(Village.code, Village.id),
            Village.code,
            {r.village_code for r in rows if r.village_code},
        )
    )
    # Under every key of the ring: rows not yet re-hashed by a rotation hold the older one.
    every = {r.id_number: db.vault.digests(r.id_number) for r in rows}
    digests = {number: found[0] for number, found in every.items()}
    persons = {
        p.id_number_hash: p
        for p in chunked(
            session,
            select(Person.id, Person.name, Person.id_number_hash, Person.target_groups, Person.village_id),
            Person.id_number_hash,
            {d for found in every.values() for d in found},
        )
    }
    known_years = all_params(session)
    contract_ids = {r.contract_id for r in rows if r.contract_id is not None}
    contracts = {
        c.id: contract_facts(c)
        for c in chunked(session, select(*CONTRACT_COLUMNS), Contract.id, contract_ids)
    }
    cal = timecache.calendar(db, session)
    workdays: dict[tuple[str, str | None], tuple[date, ...] | None] = {}  # by type and month
    fixed: dict[tuple[str, int | None, str], tuple[ClaimFacts, int] | RowError] = {}
    passed: list[tuple[ListRow, int, ClaimFacts, ContractFacts | None, int, frozenset[str]]] = []

    for row in rows:
        errors: list[RowError] = []
        year, facts = 0, None
        key = (row.subsidy_type, row.policy_year, repr(row.facts))  # repr: 150 is not 150.00
        if (found := fixed.get(key)) is None:
            found = fixed[key] = _facts_and_year(session, known_years, row, today)
        if isinstance(found, RowError):
            errors.append(found)
        else:
            facts, year = found
        if row.village_code and row.village_code not in villages:
            errors.append(
                RowError(
                    HEADER_OF["village_code"],
                    "validation.village",
                    f"行政村代码“{row.village_code}”不存在",
                )
            )
        digest = digests[row.id_number]
        known = next((persons[d] for d in every[row.id_number] if d in persons), None)
        if known is not None:
            person_id, groups = known.id, _groups(known.target_groups)
            out.village_of[known.id] = known.village_id
            if not same_name(known.name, row.name):
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
                    new = NewPerson(-(len(out.new_persons) + 1), row, villages[row.village_code], digest)
                    out.new_persons[digest] = new
            elif new is not None and not same_name(new.row.name, row.name):
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
        assert facts is not None
        passed.append((row, year, facts, contract, person_id, groups))

    real = _reserved(out, reserve)
    for row, year, facts, contract, person_id, groups in passed:
        person_id = real.get(person_id, person_id)
        month = (row.subsidy_type, facts.month)
        if month not in workdays:
            workdays[month] = month_workdays(cal, row.subsidy_type, facts.month)
        out.candidates[row.row] = Candidate(
            row.row,
            ClaimDraft(
                subsidy_type=row.subsidy_type,
                policy_year=year,
                person=PersonFacts(person_id, groups),
                claimant=claimant,
                facts=facts,
                contract=contract,
                month_workdays=workdays[month],
            ),
            known_years[year],
        )
        out.inputs[row.row] = ClaimInput(
            row.subsidy_type, person_id, year, row.facts, row.contract_id, batch_ref
        )
    return out


def _facts_and_year(
    session: Session, known_years: dict[int, PolicyParams], row: ListRow, today: date
) -> tuple[ClaimFacts, int] | RowError:
    """A row's facts and the policy year they fix, or why not. They depend on nothing else of
    the row, so a list asks once for each distinct type, year sent and facts (rows of a group
    that left on the same day share them)."""
    try:
        facts = facts_from_record(row.facts)
        fix = year_of(known_years, row.subsidy_type, row.policy_year, facts, today)
        if fix.year not in known_years:
            load_params(session, fix.year, fix.reason)  # raises, naming the year and why
    except DomainError as exc:
        return error_of(exc)
    return facts, fix.year


def _reserved(out: Checked, reserve: Callable[[int], list[int]] | None) -> dict[int, int]:
    """The new persons' ids (placeholder -> id), taken from ``reserve`` in one call."""
    if reserve is None or not out.new_persons:
        return {}
    news = list(out.new_persons.values())
    real: dict[int, int] = {}
    for new, pid in zip(news, reserve(len(news)), strict=True):
        real[new.key], new.id = pid, pid
        out.village_of[pid] = new.village_id
    return real


def _groups(stored: str) -> frozenset[str]:
    return frozenset(g for g in stored.split(",") if g)


_NAME_MARKS = re.compile(r"[\s·•．.]")


def same_name(stored: str, given: str) -> bool:
    """Names compared without spaces and with the dots of Tibetan or Uyghur names unified."""
    return stored == given or _NAME_MARKS.sub("", stored) == _NAME_MARKS.sub("", given)
