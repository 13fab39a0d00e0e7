"""The inbox: claims waiting for this user, overdue first then by due time, keyset-paged."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    Subquery,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from workflow.errors import ValidationFailed
from workflow.machines import CLAIM, CONTRACT, Workflow
from workflow.review import inbox_roles
from workflow.roles import Actor, Role, is_county_wide

from ..models import Claim, Contract, Person, User, Village
from ..people.tails import tail_matches
from .holding import held_filter, holder_join

INBOX_ROLES = (Role.VILLAGE, Role.HR, Role.FINANCE)


def _waiting(wf: Workflow) -> dict[Role, tuple[str, ...]]:
    """Which states wait for which role, as the table's ``waits`` say."""
    return {role: states for role in INBOX_ROLES if (states := wf.waiting_for(role))}


CLAIM_WAITING = _waiting(CLAIM)
CONTRACT_WAITING = _waiting(CONTRACT)
PAGE = 50
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    subsidy_type: str | None = None
    village_id: int | None = None
    batch: str | None = None
    overdue: bool = False
    q: str | None = None  # a name (or its beginning), or the last digits of the ID number
    # The keyed hashes of the ID tails ``q`` can stand for (``tail_search``): the digits
    # themselves are kept nowhere.
    tails: tuple[str, ...] = ()
    cursor: str | None = None
    held: str | None = None  # "mine": the claims I hold (我认领的); "free": nobody holds (未认领)


@dataclass
class InboxPage:
    rows: list[InboxRow]
    counts: dict[str, int]
    overdue: int
    next_cursor: str | None
    states: tuple[str, ...] = field(default_factory=tuple)


def waiting_states(actor: Actor, table: dict[Role, tuple[str, ...]]) -> tuple[str, ...]:
    states: list[str] = []
    roles = inbox_roles(actor)  # the head's inbox also lists what waits for HR
    for role in INBOX_ROLES:
        if role in roles:
            states += [s for s in table.get(role, ()) if s not in states]
    return tuple(str(s) for s in states)


def _scope(actor: Actor, table: dict[Role, tuple[str, ...]]) -> ColumnElement[bool]:
    """Each role sees its own contracts' states; a village verifier only in their villages
    (the claims' inbox says the same per state: ``state_scopes``)."""
    parts = []
    for role in INBOX_ROLES:
        if role not in actor.roles or role not in table:
            continue
        states = [str(s) for s in table[role]]
        if role is Role.VILLAGE:
            parts.append(and_(Contract.state.in_(states), Contract.village_id.in_(actor.village_ids)))
        else:
            parts.append(Contract.state.in_(states))
    return or_(*parts) if parts else false()


def encode_cursor(due: datetime | None, case_id: int) -> str:
    raw = f"{due.isoformat() if due else ''}|{case_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        due, case_id = base64.urlsafe_b64decode(cursor + "==").decode().split("|")
        return datetime.fromisoformat(due), int(case_id)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("validation.cursor", "分页参数无效", field="cursor") from None


def _search(text: str, tails: tuple[str, ...] = ()) -> ColumnElement[bool] | None:
    text = text.strip()
    if not text:
        return None
    tail = text.upper()
    if tail.isdigit() or (tail[:-1].isdigit() and tail.endswith("X")):
        if len(tail) <= 4:  # the last digits of the ID number: an indexed column of its own
            return Claim.person_id.in_(select(Person.id).where(tail_matches(tails)))
        raise ValidationFailed("validation.search", "身份证号只能按末尾最多4位查询", field="q")
    if len(text) < 2:
        # One character is a surname: a tenth of the county. Too broad to page through.
        raise ValidationFailed("validation.search", "按姓名查询请至少输入两个字", field="q")
    # A name, or its beginning: a range on the indexed name column (a LIKE 'x%' would not use
    # the index under SQLite's case-insensitive LIKE or PostgreSQL's non-C collations).
    return Claim.person_id.in_(
        select(Person.id).where(Person.name >= text, Person.name < text + "\U0010ffff")
    )


def filter_conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The filters every claim list shares (the inbox, finance's pool): type, village,
    batch and the search."""
    conditions = []
    if f.subsidy_type:
        conditions.append(Claim.subsidy_type == f.subsidy_type)
    if f.village_id:
        conditions.append(Claim.village_id == f.village_id)
    if f.batch:
        conditions.append(Claim.batch_ref == f.batch)
    if f.q and (found := _search(f.q, f.tails)) is not None:
        conditions.append(found)
    return conditions


def apply_filters(q: Select[Claim], f: Filters) -> Select[Claim]:
    return q.where(*filter_conditions(f))


class InboxRow(NamedTuple):
    """What a line of the inbox shows, read in one query (no claim or person objects)."""

    id: int
    village_id: int
    subsidy_type: str
    amount: Decimal
    state: str
    due_at: datetime | None
    name: str
    id_enc: str  # the ID number, encrypted: ``tail_search.with_id_tails`` shows its last four
    holder_id: int | None = None  # who holds it (认领), if a hold is in force
    holder: str | None = None
    id_last4: str = ""


def state_scopes(actor: Actor, table: dict[Role, tuple[str, ...]]) -> dict[str, frozenset[int] | None]:
    """Each waiting state with the villages it is seen in: None where a county-wide role waits
    on it, the verifier's villages where only the village role does."""
    scopes: dict[str, frozenset[int] | None] = {}
    roles = inbox_roles(actor)
    for role in INBOX_ROLES:
        if role in roles:
            for state in map(str, table.get(role, ())):
                if role is not Role.VILLAGE:
                    scopes[state] = None
                elif state not in scopes:
                    scopes[state] = actor.village_ids
                elif (seen := scopes[state]) is not None:
                    scopes[state] = seen | actor.village_ids
    return scopes


def _in_scope(state: str, villages: frozenset[int] | None) -> list[ColumnElement[bool]]:
    where = [Claim.state == state]
    if villages is not None:
        where.append(
            Claim.village_id.in_(sorted(villages))
            if len(villages) != 1
            else Claim.village_id == min(villages)
        )
    return where


def claims_inbox(session: Session, actor: Actor, now: datetime, f: Filters, page: int = PAGE) -> InboxPage:
    """Each state is read on its own, in the order of an index that leads with it (state, or
    village and state, or type and state; then due time and id), so that a page and a count
    read only the index entries they show or count, however deep the page and however many
    claims the county holds."""
    scopes = state_scopes(actor, CLAIM_WAITING)
    states = waiting_states(actor, CLAIM_WAITING)
    shared = filter_conditions(f)
    counted = {s: _counts(session, [*_in_scope(s, scopes[s]), *shared], now) for s in states}
    counts = {s: n for s, (n, _) in counted.items()}
    overdue = min(sum(late for _, late in counted.values()), COUNT_CAP + 1)
    rows = waiting_rows(session, actor, now, f, page + 1)
    more = len(rows) > page
    rows = rows[:page]
    cursor = encode_cursor(rows[-1].due_at, rows[-1].id) if more and rows else None
    return InboxPage(rows, counts, overdue, cursor, states)


def waiting_rows(session: Session, actor: Actor, now: datetime, f: Filters, limit: int) -> list[InboxRow]:
    """The claims waiting for this user that the filters keep, in the inbox's order from the
    filters' cursor on: at most ``limit`` (a page and one more, or an export's every page)."""
    scopes = state_scopes(actor, CLAIM_WAITING)
    keys = [*filter_conditions(f), *held_filter(actor, f.held)]
    if f.overdue:
        keys.append(Claim.due_at < now)
    if f.cursor:
        due, last = decode_cursor(f.cursor)
        keys.append(tuple_(Claim.due_at, Claim.id) > tuple_(literal(due, DateTime()), literal(last)))
    shown = [s for s in waiting_states(actor, CLAIM_WAITING) if not f.state or s == f.state]
    return _page(session, [[*_in_scope(s, scopes[s]), *keys] for s in shown], limit)


def _page(session: Session, branches: list[list[ColumnElement[bool]]], limit: int) -> list[InboxRow]:
    """The first ``limit`` rows in (due time, id) order of each branch (a state), merged: each
    branch reads only index entries, in that order where an index gives it, and stops at
    ``limit``; only the page's own claims and persons are then read."""
    if not branches:
        return []

    def branch(where: list[ColumnElement[bool]]) -> Subquery:
        q = select(Claim.id, Claim.due_at).where(*where)
        return q.order_by(Claim.due_at, Claim.id).limit(limit).subquery()

    if len(branches) == 1:
        keys = branch(branches[0])
    else:
        keys = union_all(*(select(*b.c) for b in map(branch, branches))).subquery()
    q = (
        select(
            Claim.id,
            Claim.village_id,
            Claim.subsidy_type,
            Claim.amount,
            Claim.state,
            Claim.due_at,
            Person.name,
            Person.id_number_enc,
            User.id,
            User.display_name,
        )
        .join(keys, keys.c.id == Claim.id)
        .join(Person, Person.id == Claim.person_id)
        .outerjoin(User, holder_join())
        .order_by(keys.c.due_at, keys.c.id)
        .limit(limit)
    )
    return [InboxRow(*r) for r in session.execute(q)]


def _counts(session: Session, where: list[ColumnElement[bool]], now: datetime) -> tuple[int, int]:
    """A state's claims and its overdue ones, exact up to COUNT_CAP, then COUNT_CAP + 1
    ("10000+"): counting a state's every row at a million claims costs more than the rest of
    the page, and nobody reads past ten thousand. Each is a count of one index range that
    reads no value (reading the due times to count both in one pass costs SQLite ten times
    as much); more than COUNT_CAP overdue means more than COUNT_CAP in all, uncounted."""
    late = _capped_count(session, [*where, Claim.due_at < now])
    return (COUNT_CAP + 1 if late > COUNT_CAP else _capped_count(session, where)), late


def _capped_count(session: Session, where: list[ColumnElement[bool]]) -> int:
    limited = select(Claim.id).where(*where).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


class ContractLine(NamedTuple):
    """A contract as the inbox lists it, read in one query (no contract or person objects)."""

    id: int
    name: str
    start_date: date
    end_date: date
    state: str


def contracts_inbox(session: Session, actor: Actor, limit: int = PAGE) -> list[ContractLine]:
    q = select(Contract.id, Person.name, Contract.start_date, Contract.end_date, Contract.state)
    q = q.join(Person, Person.id == Contract.person_id).where(_scope(actor, CONTRACT_WAITING))
    return [ContractLine(*r) for r in session.execute(q.order_by(Contract.due_at, Contract.id).limit(limit))]


def villages_of(session: Session, actor: Actor) -> list[Village]:
    q = select(Village).order_by(Village.code)
    if Role.VILLAGE in actor.roles and not is_county_wide(actor):
        q = q.where(Village.id.in_(actor.village_ids))
    return list(session.scalars(q))


class VillageName(NamedTuple):
    id: int
    name: str


def village_names(session: Session, actor: Actor) -> dict[int, VillageName]:
    """The villages of ``villages_of`` as the inbox's filter and lines name them (no objects)."""
    q = select(Village.id, Village.name).order_by(Village.code)
    if Role.VILLAGE in actor.roles and not is_county_wide(actor):
        q = q.where(Village.id.in_(actor.village_ids))
    return {v.id: VillageName(*v) for v in session.execute(q)}
