"""Search (查找): claims, contracts and persons the staff member may see, in any state, by what
the text asks for, a kind at a time, newest first, keyset-paged both ways by id (or every page
of each kind, for an export); a claim says where it is (state, the step it waits for and by
when, who holds it, the payout batch)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from workflow.errors import DomainError, NotFound
from workflow.pii import Vault
from workflow.roles import Actor, sees_village
from workflow.search_terms import Terms, looks_like_full_id, parse

from ..audit.events import looked_up
from ..db import Database
from ..models import Claim, Contract, Person
from ..people.reach import count_look_up
from .matching import KINDS, Matching, matching
from .rows import ClaimResult, ContractResult, PersonResult, claim_results, contract_results, person_results

PAGE = 20
COUNT_CAP = 1000  # a tab's count stops here ("1000+")
READ_AT_ONCE = 500  # an export reads its lines this many ids at a time
KEYS = {"claims": Claim.id, "contracts": Contract.id, "persons": Person.id}


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None
    person_id: int | None = None  # one person's records (a whole ID number found by its hash)
    kind: str = "claims"
    after: int | None = None  # the page after (older than) the record with this id
    before: int | None = None  # the page before (newer than) it


@dataclass
class SearchPage:
    query: SearchQuery
    kind: str
    shown: str = ""  # what was searched for, as the page may say it (an ID number masked)
    shown_id: str = ""  # one person's records: their ID number, masked
    asks: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    claims: list[ClaimResult] = field(default_factory=list)
    contracts: list[ContractResult] = field(default_factory=list)
    persons: list[PersonResult] = field(default_factory=list)
    next_after: int | None = None
    prev_before: int | None = None
    error: str | None = None
    now: datetime | None = None
    cap: int = COUNT_CAP


@dataclass(frozen=True)
class Resolved:
    """What a posted search text becomes: one person's records (a whole ID number, never put
    in a URL), or a text to search for by GET; or why nothing was searched."""

    person_id: int | None = None
    text: str | None = None
    shown: str = ""
    error: str | None = None


def resolve_text(db: Database, actor: Actor, text: str) -> Resolved:
    """A posted search: a whole ID number becomes the person it names, if the staff member sees
    them (otherwise not found, as for a person of another village)."""
    try:
        terms = parse(text)
    except DomainError as exc:
        return Resolved(error=exc.message)
    if not looks_like_full_id(text):
        return Resolved(text=terms.text)
    try:
        count_look_up(db, actor)  # a whole ID number is a look-up: 30 a minute per user
    except DomainError as exc:
        return Resolved(shown=terms.shown, error=exc.message)
    with db.transaction() as session:
        person = session.scalar(
            select(Person).where(Person.id_number_hash.in_(db.vault.digests(terms.text))).limit(1)
        )
        if person is None or not sees_village(actor, person.village_id):
            looked_up(session, db, actor, None, "search")
            return Resolved(shown=terms.shown, error="未找到该身份证号的人员")
        looked_up(session, db, actor, person.id, "search")
        return Resolved(person_id=person.id, shown=terms.shown)


def find_records(db: Database, actor: Actor, query: SearchQuery) -> SearchPage:
    kind, now = (query.kind if query.kind in KINDS else "claims"), db.clock.now()
    page = SearchPage(query, kind, now=now)
    asked, terms = _asked(page)
    if not asked:
        return page
    with db.transaction() as session:
        where = _within(db, session, actor, page, terms)
        page.counts = {k: _count(session, KEYS[k], where.of(k)) for k in KINDS}
        ids, page.next_after, page.prev_before = _keyset(
            session, KEYS[kind], where.of(kind), query.after, query.before
        )
        _read(session, db.vault, page, kind, ids, now)
    return page


def every_record(db: Database, actor: Actor, query: SearchQuery, limit: int) -> SearchPage:
    """The page's search with every page of each kind at once, newest first: up to ``limit``
    records a kind and one more (to know there were more), as an export lists them. The same
    scope, the same refusals (a whole ID number in the text: nothing searched)."""
    kind, now = (query.kind if query.kind in KINDS else "claims"), db.clock.now()
    page = SearchPage(replace(query, after=None, before=None), kind, now=now, cap=limit)
    asked, terms = _asked(page)
    if not asked:
        return page
    with db.transaction() as session:
        where = _within(db, session, actor, page, terms)
        for k in KINDS:
            key = KEYS[k]
            ids = list(session.scalars(select(key).where(where.of(k)).order_by(key.desc()).limit(limit + 1)))
            page.counts[k] = len(ids)
            for start in range(0, len(ids), READ_AT_ONCE):
                _read(session, db.vault, page, k, ids[start : start + READ_AT_ONCE], now)
    return page


def _asked(page: SearchPage) -> tuple[bool, Terms | None]:
    """Whether the query asks for a search (else the page says why not, or nothing) and its
    terms (none for one person's records)."""
    query = page.query
    if query.person_id is not None:
        return True, None
    if not (query.text or "").strip():
        return False, None
    if looks_like_full_id(query.text or ""):
        page.query = SearchQuery(kind=page.kind)  # not echoed back into the page either
        page.error = "完整的身份证号请在查找框中输入后按“查找”（不会出现在网址中）"
        return False, None
    try:
        terms = parse(query.text or "")
    except DomainError as exc:
        page.error = exc.message
        return False, None
    page.shown, page.asks = terms.shown, str(terms.asks)
    return True, terms


def _within(db: Database, session: Session, actor: Actor, page: SearchPage, terms: Terms | None) -> Matching:
    """What the search matches within the staff member's scope; one person's records only if
    they see the person (otherwise not found, as for a person of another village)."""
    person_id = page.query.person_id
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None or not sees_village(actor, person.village_id):
            raise NotFound("not_found.person", "未找到该人员", id=person_id)
        page.shown, page.shown_id, page.asks = (
            person.name,
            "*" * 14 + db.vault.tail(person.id_number_enc),
            "person",
        )
    return matching(db, actor, terms, person_id)


def _read(session: Session, vault: Vault, page: SearchPage, kind: str, ids: list[int], now: datetime) -> None:
    """The lines of ``ids`` (records of ``kind``) added to the page's."""
    if kind == "claims":
        page.claims += claim_results(session, vault, ids, now)
    elif kind == "contracts":
        page.contracts += contract_results(session, vault, ids)
    else:
        page.persons += person_results(session, vault, ids)


def _count(session: Session, key: InstrumentedAttribute[int], where: ColumnElement[bool]) -> int:
    limited = select(key).where(where).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def _exists(session: Session, key: InstrumentedAttribute[int], where: list[ColumnElement[bool]]) -> bool:
    return session.scalar(select(key).where(*where).limit(1)) is not None


def _keyset(
    session: Session,
    key: InstrumentedAttribute[int],
    where: ColumnElement[bool],
    after: int | None,
    before: int | None,
) -> tuple[list[int], int | None, int | None]:
    """A page of ids, newest first, and the cursors of the pages after and before it (None
    where there is none). The cursor is a record's id: never what was searched for."""
    if before is not None:
        ids = list(session.scalars(select(key).where(where, key > before).order_by(key).limit(PAGE + 1)))
        newer = len(ids) > PAGE
        ids = ids[:PAGE][::-1]
        older = bool(ids) and _exists(session, key, [where, key < ids[-1]])
    else:
        bound = [key < after] if after is not None else []
        ids = list(session.scalars(select(key).where(where, *bound).order_by(key.desc()).limit(PAGE + 1)))
        older = len(ids) > PAGE
        ids = ids[:PAGE]
        newer = bool(ids) and after is not None and _exists(session, key, [where, key > ids[0]])
    return ids, (ids[-1] if older else None), (ids[0] if newer else None)
