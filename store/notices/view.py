"""A user's notification centre: a page of their notices, marking them read."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Database
from . import notifications
from .models import Notification


@dataclass(frozen=True)
class NoticePage:
    rows: list[Notification]
    next_before: int | None  # the id to page on from, when there are older notices


def notices(db: Database, user_id: int, unread_only: bool, before_id: int | None) -> NoticePage:
    """A page of the user's notices, newest first, from before ``before_id``."""
    with db.transaction() as session:
        rows = list(
            notifications.for_user(
                session, user_id, unread_only=unread_only, before_id=before_id, limit=notifications.PAGE + 1
            )
        )
    shown = rows[: notifications.PAGE]
    return NoticePage(shown, shown[-1].id if len(rows) > notifications.PAGE else None)


def read_one(db: Database, user_id: int, notice_id: int) -> str:
    """Mark one of the user's notices read; the page it is about ("" for another's notice,
    which changes nothing)."""
    with db.transaction() as session:
        notifications.mark_read(session, user_id, db.clock.now(), [notice_id])
        return notifications.link_of(session, user_id, notice_id)


def read_all(db: Database, user_id: int) -> None:
    with db.transaction() as session:
        notifications.mark_read(session, user_id, db.clock.now())
