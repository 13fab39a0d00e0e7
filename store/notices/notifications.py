"""Notices to users: who receives what, the unread count, marking read, and the e-mail outbox.

A notice is written in the same transaction as the event it reports (a reminder, an overdue
flag), one row per recipient; e-mail is sent afterwards from the rows not yet tried. A row is
claimed (``sending``) before its message goes out, so a notice is e-mailed at most once even
when two sweeps overlap; a crash in the middle leaves those rows ``sending``, visible to the
admin, rather than risk a second copy.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from workflow.config import SmtpSettings
from workflow.roles import Role

from ..db import Database
from ..models import User, UserVillage
from .models import Notification

log = logging.getLogger("fuzhi.notifications")
PAGE = 50
EMAIL_BATCH = 200


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


def send_pending_email(
    db: Database, smtp: SmtpSettings | None, limit: int = EMAIL_BATCH, base_url: str = ""
) -> int:
    """E-mail notices not yet tried to users who have an address; returns how many were sent.

    Without SMTP settings, or for a user without an address (or no longer active), a notice is
    marked ``skipped`` (it stays in the notification centre). A failed send is marked
    ``failed`` and logged without the address; it is not retried automatically, so a broken
    relay cannot loop. ``base_url`` (``https://fuzhi.example``) makes the link in the message
    absolute; without it the message names the path only.
    """
    with db.transaction() as s:
        candidates = s.execute(
            select(
                Notification.id,
                Notification.title,
                Notification.body,
                Notification.link,
                User.email,
                User.display_name,
                User.active,
            )
            .join(User, User.id == Notification.user_id)
            .where(Notification.email_state.is_(None))
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        # Claim the rows first: two sweeps (or a crash and a rerun) never send one twice. Only
        # the rows this UPDATE changed are ours; an overlapping sweep may have taken the rest
        # between the SELECT and here (on PostgreSQL the UPDATE waits for it, then skips them).
        claimed: set[int] = set()
        if candidates:
            claimed = set(
                s.scalars(
                    update(Notification)
                    .where(
                        Notification.id.in_([r.id for r in candidates]), Notification.email_state.is_(None)
                    )
                    .values(email_state="sending")
                    .returning(Notification.id)
                )
            )
    rows = [r for r in candidates if r.id in claimed]
    if not rows:
        return 0
    results: dict[str, list[int]] = {"sent": [], "skipped": [], "failed": []}
    server: smtplib.SMTP | None = None
    relay_down = False
    try:
        for r in rows:
            if smtp is None or not r.email or not r.active:
                results["skipped"].append(r.id)
                continue
            if relay_down:  # one refused connection is enough: the rest wait for the admin
                results["failed"].append(r.id)
                continue
            if server is None:
                try:
                    server = _connect(smtp)
                except (smtplib.SMTPException, OSError) as exc:
                    log.warning(
                        "无法连接邮件服务器 %s:%s (%s)，通知邮件未发送",
                        smtp.host,
                        smtp.port,
                        type(exc).__name__,
                    )
                    relay_down = True
                    results["failed"].append(r.id)
                    continue
            try:
                server.send_message(
                    _message(smtp, r.email, r.display_name, r.title, r.body, _absolute(base_url, r.link))
                )
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                # The type only: smtplib's messages (a refused recipient) carry the address.
                log.warning("通知邮件发送失败 (通知 %s): %s", r.id, type(exc).__name__)
                results["failed"].append(r.id)
                if not isinstance(exc, (smtplib.SMTPRecipientsRefused, ValueError)):
                    _close(server)  # the connection may be broken: the next one reconnects
                    server = None
                continue
            results["sent"].append(r.id)
    finally:
        if server is not None:
            _close(server)
        now = db.clock.now()
        with db.transaction() as s:
            for state, ids in results.items():
                if ids:
                    s.execute(
                        update(Notification)
                        .where(Notification.id.in_(ids))
                        .values(email_state=state, emailed_at=now)
                    )
    return len(results["sent"])


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
    try:
        if smtp.starttls:
            server.starttls()
        if smtp.user:
            server.login(smtp.user, smtp.password)
    except BaseException:
        server.close()
        raise
    return server


def _close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()


def _absolute(base_url: str, link: str) -> str:
    return f"{base_url.rstrip('/')}{link}" if link and base_url else link


def _message(smtp: SmtpSettings, to: str, name: str, title: str, body: str, link: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(("扶智 就业帮扶系统", smtp.sender))
    msg["To"] = formataddr((name, to))
    msg["Subject"] = " ".join(title.split())  # a header may not hold a line break
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or "localhost")
    text = body + (f"\n\n在系统中查看：{link}" if link else "")
    msg.set_content(text + "\n\n—— 此邮件由扶智系统自动发送，请勿直接回复。")
    return msg
