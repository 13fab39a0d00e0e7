"""「我办理的」: the claims a staff member acted on, their last step on each first, with the
claim's state now and the last step anyone took on it since; keyset-paged by that step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from workflow.roles import Actor, is_county_wide

from ..db import Database
from ..models import Claim, ClaimHistory, Person

PAGE = 20


@dataclass(frozen=True)
class Step:
    trigger: str
    to_state: str
    at: datetime
    actor_name: str
    role: str
    comment: str | None


@dataclass(frozen=True)
class ActedRow:
    claim_id: int
    person_name: str
    subsidy_type: str
    amount: Decimal
    state: str  # now
    due_at: datetime | None
    mine: Step  # the staff member's last step on it
    since: Step | None  # the last step taken after theirs, by anyone; None when theirs is the last


@dataclass(frozen=True)
class ActedPage:
    rows: list[ActedRow]
    next_before: int | None  # the cursor of the next page: the history id to continue below


def _step(h: ClaimHistory) -> Step:
    return Step(h.trigger, h.to_state, h.at, h.actor_name, h.role, h.comment)


def acted_claims(db: Database, actor: Actor, before: int | None = None, size: int = PAGE) -> ActedPage:
    """A page of the claims ``actor`` took a step on (verified, returned, approved, …), newest
    step first; only claims of the villages they still see. ``before``: the cursor of a page."""
    mine = func.max(ClaimHistory.id).label("mine")
    query = (
        select(ClaimHistory.claim_id, mine)
        .where(ClaimHistory.actor_id == actor.user_id)
        .group_by(ClaimHistory.claim_id)
        .order_by(mine.desc())
        .limit(size + 1)
    )
    if not is_county_wide(actor):
        seen = select(Claim.id).where(Claim.village_id.in_(sorted(actor.village_ids)))
        query = query.where(ClaimHistory.claim_id.in_(seen))
    if before is not None:
        query = query.having(mine < before)
    with db.transaction() as session:
        pairs = session.execute(query).all()
        more = len(pairs) > size
        pairs = pairs[:size]
        ids = [claim_id for claim_id, _ in pairs]
        if not ids:
            return ActedPage([], None)
        last_ids = (
            select(func.max(ClaimHistory.id))
            .where(ClaimHistory.claim_id.in_(ids))
            .group_by(ClaimHistory.claim_id)
        )
        wanted = {h for _, h in pairs}
        steps = {
            h.id: h
            for h in session.scalars(
                select(ClaimHistory).where(ClaimHistory.id.in_(wanted) | ClaimHistory.id.in_(last_ids))
            )
        }
        last_of: dict[int, ClaimHistory] = {}  # the claim's newest step: the last one fetched for it
        for h in steps.values():
            if h.claim_id not in last_of or h.id > last_of[h.claim_id].id:
                last_of[h.claim_id] = h
        claims = {
            row.id: row
            for row in session.execute(
                select(Claim.id, Claim.subsidy_type, Claim.amount, Claim.state, Claim.due_at, Person.name)
                .join(Person, Person.id == Claim.person_id)
                .where(Claim.id.in_(ids))
            )
        }
    rows = []
    for claim_id, my_id in pairs:
        claim = claims[claim_id]
        last = last_of.get(claim_id)
        rows.append(
            ActedRow(
                claim_id=claim_id,
                person_name=claim.name,
                subsidy_type=claim.subsidy_type,
                amount=claim.amount,
                state=claim.state,
                due_at=claim.due_at,
                mine=_step(steps[my_id]),
                since=_step(last) if last is not None and last.id != my_id else None,
            )
        )
    return ActedPage(rows, pairs[-1][1] if more else None)
