"""The inbox: claims waiting for this user, overdue first then by due time, keyset-paged."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from workflow.errors import ValidationFailed
from workflow.machines import CLAIM, CONTRACT, Workflow
from workflow.roles import Actor, Role, is_county_wide

from ..models import Claim, Contract, Person, Village

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
    cursor: str | None = None


@dataclass
class InboxPage:
    rows: list[Claim]
    counts: dict[str, int]
    overdue: int
    next_cursor: str | None
    states: tuple[str, ...] = field(default_factory=tuple)


def waiting_states(actor: Actor, table: dict[Role, tuple[str, ...]]) -> tuple[str, ...]:
    states: list[str] = []
    for role in INBOX_ROLES:
        if role in actor.roles:
            states += [s for s in table.get(role, ()) if s not in states]
    return tuple(str(s) for s in states)


Case = TypeVar("Case", Claim, Contract)


def _scope(
    q: Select[Case], model: type[Case], actor: Actor, table: dict[Role, tuple[str, ...]]
) -> Select[Case]:
    """Each role sees its own states; a village verifier only in their villages."""
    parts = []
    for role in INBOX_ROLES:
        if role not in actor.roles or role not in table:
            continue
        states = [str(s) for s in table[role]]
        if role is Role.VILLAGE:
            parts.append(and_(model.state.in_(states), model.village_id.in_(actor.village_ids)))
        else:
            parts.append(model.state.in_(states))
    return q.where(or_(*parts)) if parts else q.where(false())


def encode_cursor(due: datetime | None, case_id: int) -> str:
    raw = f"{due.isoformat() if due else ''}|{case_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        due, case_id = base64.urlsafe_b64decode(cursor + "==").decode().split("|")
        return datetime.fromisoformat(due), int(case_id)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("validation.cursor", "分页参数无效", field="cursor") from None


def _search(q: Select[Claim], text: str) -> Select[Claim]:
    text = text.strip()
    if not text:
        return q
    tail = text.upper()
    if tail.isdigit() or (tail[:-1].isdigit() and tail.endswith("X")):
        if len(tail) <= 4:  # the last digits of the ID number: an indexed column of its own
            return q.where(
                Claim.person_id.in_(
                    select(Person.id).where(
                        Person.id_last4.like(f"%{tail}") if len(tail) < 4 else Person.id_last4 == tail
                    )
                )
            )
        raise ValidationFailed("validation.search", "身份证号只能按末尾最多4位查询", field="q")
    if len(text) < 2:
        # One character is a surname: a tenth of the county. Too broad to page through.
        raise ValidationFailed("validation.search", "按姓名查询请至少输入两个字", field="q")
    # A name, or its beginning: a range on the indexed name column (a LIKE 'x%' would not use
    # the index under SQLite's case-insensitive LIKE or PostgreSQL's non-C collations).
    return q.where(
        Claim.person_id.in_(select(Person.id).where(Person.name >= text, Person.name < text + "\U0010ffff"))
    )


def apply_filters(q: Select[Claim], f: Filters) -> Select[Claim]:
    """The filters every claim list shares (the inbox, finance's pool): type, village,
    batch and the search."""
    if f.subsidy_type:
        q = q.where(Claim.subsidy_type == f.subsidy_type)
    if f.village_id:
        q = q.where(Claim.village_id == f.village_id)
    if f.batch:
        q = q.where(Claim.batch_ref == f.batch)
    if f.q:
        q = _search(q, f.q)
    return q


def claims_inbox(session: Session, actor: Actor, now: datetime, f: Filters, page: int = PAGE) -> InboxPage:
    table = CLAIM_WAITING
    base = apply_filters(_scope(select(Claim), Claim, actor, table), f)
    states = waiting_states(actor, table)
    counts = {s: _capped_count(session, base.where(Claim.state == s)) for s in states}
    overdue = _capped_count(session, base.where(Claim.due_at < now))
    rows_q = base
    if f.state:
        rows_q = rows_q.where(Claim.state == f.state)
    if f.overdue:
        rows_q = rows_q.where(Claim.due_at < now)
    if f.cursor:
        due, last = decode_cursor(f.cursor)
        rows_q = rows_q.where(or_(Claim.due_at > due, and_(Claim.due_at == due, Claim.id > last)))
    rows = list(session.scalars(rows_q.order_by(Claim.due_at, Claim.id).limit(page + 1)))
    more = len(rows) > page
    rows = rows[:page]
    cursor = encode_cursor(rows[-1].due_at, rows[-1].id) if more and rows else None
    return InboxPage(rows, counts, overdue, cursor, states)


def _capped_count(session: Session, q: Select[Claim]) -> int:
    """Exact up to COUNT_CAP, then COUNT_CAP + 1 ("10000+"): counting a state's every row at a
    million claims costs more than the rest of the page, and nobody reads past ten thousand."""
    limited = q.with_only_columns(Claim.id).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def contracts_inbox(session: Session, actor: Actor, limit: int = PAGE) -> list[Contract]:
    q = _scope(select(Contract), Contract, actor, CONTRACT_WAITING)
    q = q.options(selectinload(Contract.person))  # the page shows names after the session
    return list(session.scalars(q.order_by(Contract.due_at, Contract.id).limit(limit)))


def villages_of(session: Session, actor: Actor) -> list[Village]:
    q = select(Village).order_by(Village.code)
    if Role.VILLAGE in actor.roles and not is_county_wide(actor):
        q = q.where(Village.id.in_(actor.village_ids))
    return list(session.scalars(q))
