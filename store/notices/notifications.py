"""Notices to users: who receives what, writing them, the unread count, reading and marking read.

A notice is written in the same transaction as the event it reports (a reminder, an overdue
flag), one row per recipient; e-mail is sent afterwards from the rows not yet tried (``outbox``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from workflow.roles import Role

from ..db import Database
from ..models import User, UserVillage
from .models import Notification

PAGE = 50


@dataclass(frozen=True)
class Notice:
    """What one notice says; ``link`` is a path in this app (never personal data in it)."""

    kind: str
    title: str
    body: str = ""
    link: str = ""
    subject_type: str | None = None
    subject_id: int | None = None


def users_with_role(session: Session, role: Role) -> list[int]:
    """Active users holding ``role`` (roles are stored comma-separated)."""
    rows = session.execute(select(User.id, User.roles).where(User.active.is_(True))).all()
    return [uid for uid, roles in rows if role.value in roles.split(",")]


def verifiers_of(session: Session, village_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each village's active verifiers, in one query."""
    found: dict[int, list[int]] = {}
    for vid, uid in session.execute(
        select(UserVillage.village_id, User.id)
        .join(User, User.id == UserVillage.user_id)
        .where(UserVillage.village_id.in_(list(village_ids)), User.active.is_(True))
        .order_by(User.id)
    ):
        found.setdefault(vid, []).append(uid)
    return found


def village_users(session: Session, village_id: int) -> list[int]:
    """Active village verifiers answering for ``village_id``."""
    return verifiers_of(session, [village_id]).get(village_id, [])


def _rows(now: datetime, user_ids: Iterable[int], notice: Notice) -> list[dict[str, object]]:
    # The page redirects to ``link`` when a notice is opened: only a path in this app may be
    # stored, never another site (an open redirect) and never cut short (a broken link).
    if notice.link and (
        not notice.link.startswith("/") or notice.link.startswith("//") or len(notice.link) > 200
    ):
        raise ValueError(f"notice link must be a path in this app: {notice.link!r}")
    if not 0 < len(notice.kind) <= 30:
        raise ValueError(f"notice kind must be 1 to 30 characters: {notice.kind!r}")
    return [
        {
            "user_id": uid,
            "kind": notice.kind,
            "title": notice.title[:200],
            "body": notice.body,
            "link": notice.link,
            "subject_type": notice.subject_type,
            "subject_id": notice.subject_id,
            "created_at": now,
        }
        for uid in sorted(set(user_ids))
    ]


def notify(session: Session, now: datetime, user_ids: Iterable[int], notice: Notice) -> int:
    """One row per distinct recipient, inside the caller's transaction; returns how many."""
    return notify_each(session, now, [(user_ids, notice)])


def notify_each(session: Session, now: datetime, notices: Iterable[tuple[Iterable[int], Notice]]) -> int:
    """Several notices, each to its recipients, in one statement; returns how many rows."""
    rows = [row for user_ids, notice in notices for row in _rows(now, user_ids, notice)]
    if rows:
        # Core, not the ORM's bulk insert: nothing here needs the unit of work.
        session.execute(insert(Notification.__table__), rows)
    return len(rows)


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def unread_for(db: Database, user_id: int) -> int:
    """The nav badge: one count on ``ix_notification_user_read`` in a short session of its own."""
    with db.transaction() as session:
        return unread_count(session, user_id)


def for_user(
    session: Session,
    user_id: int,
    *,
    unread_only: bool = False,
    before_id: int | None = None,
    limit: int = PAGE,
) -> Sequence[Notification]:
    """A user's notices, newest first, keyset-paged by id."""
    q = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    if before_id is not None:
        q = q.where(Notification.id < before_id)
    return session.scalars(q.order_by(Notification.id.desc()).limit(limit)).all()


def for_subject(
    session: Session, subject_type: str, subject_id: int, kinds: Iterable[str] | None = None
) -> Sequence[Notification]:
    """Notices about one case (a contract's reminders), one per kind and day: the recipients'
    copies of the same notice collapse to the first."""
    q = select(Notification).where(
        Notification.subject_type == subject_type, Notification.subject_id == subject_id
    )
    if kinds is not None:
        q = q.where(Notification.kind.in_(list(kinds)))
    # Keyed by kind and day, not by title: the same reminder sent again on a later day is a
    # second notice, while one notice's copies (written together) share a day.
    seen: set[tuple[str, date]] = set()
    out = []
    for n in session.scalars(q.order_by(Notification.id)):
        key = (n.kind, n.created_at.date())
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def mark_read(session: Session, user_id: int, now: datetime, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when ``ids`` is None); returns how many.
    Another user's notice ids are ignored, never an error that would reveal they exist."""
    q = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        id_list = [int(i) for i in ids]
        if not id_list:
            return 0
        q = q.where(Notification.id.in_(id_list))
    return session.execute(q.values(read_at=now)).rowcount or 0  # type: ignore[attr-defined]


def link_of(session: Session, user_id: int, notice_id: int) -> str:
    """Where the user's own notice leads ("" when it is not theirs or has no link)."""
    return (
        session.scalar(
            select(Notification.link).where(Notification.id == notice_id, Notification.user_id == user_id)
        )
        or ""
    )
