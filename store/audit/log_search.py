"""The admin's search of the audit log (/admin/audit): by user, action, target, a range of days
and outcome, newest first, a page at a time (the count capped, as the inbox's is)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from workflow.roles import Actor

from ..access.admin_users import require_admin
from ..db import Database
from .models import AuditEntry

PAGE_SIZE = 50
COUNT_CAP = 10_000


@dataclass(frozen=True)
class AuditQuery:
    user: str | None = None  # a username, or a user id
    action: str | None = None  # the start of an action code: "auth", "claim.approve"
    target: str | None = None  # "claim:12", or a bare id
    since: date | None = None
    until: date | None = None  # inclusive
    outcome: str | None = None
    page: int = 1

    @property
    def asked(self) -> bool:
        return any((self.user, self.action, self.target, self.since, self.until, self.outcome))


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditEntry]
    total: int  # at most COUNT_CAP + 1 (shown as "10000+")
    page: int
    pages: int


def _conditions(q: AuditQuery) -> list[Any]:
    found: list[Any] = []
    if q.user:
        by_name = AuditEntry.username == q.user
        found.append(or_(by_name, AuditEntry.user_id == int(q.user)) if q.user.isdigit() else by_name)
    if q.action:
        found.append(AuditEntry.action.startswith(q.action, autoescape=True))
    if q.target:
        kind, _, ident = q.target.rpartition(":")
        found.append(AuditEntry.target_id == ident.strip())
        if kind:
            found.append(AuditEntry.target_kind == kind.strip())
    if q.since:
        found.append(AuditEntry.at >= datetime.combine(q.since, time()))
    if q.until:
        found.append(AuditEntry.at < datetime.combine(q.until + timedelta(days=1), time()))
    if q.outcome:
        found.append(AuditEntry.outcome == q.outcome)
    return found


def search(db: Database, actor: Actor, q: AuditQuery) -> AuditPage:
    """One page of the entries ``q`` asks for, newest first (admin only)."""
    require_admin(actor)
    where = _conditions(q)
    with db.transaction() as session:
        capped = select(AuditEntry.seq).where(*where).limit(COUNT_CAP + 1).subquery()
        total = session.scalar(select(func.count()).select_from(capped)) or 0
        pages = max(math.ceil(min(total, COUNT_CAP) / PAGE_SIZE), 1)
        page = min(max(q.page, 1), pages)
        rows = list(
            session.scalars(
                select(AuditEntry)
                .where(*where)
                .order_by(AuditEntry.seq.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )
    return AuditPage(rows, total, page, pages)
