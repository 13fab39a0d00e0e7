"""Notices to users: who receives what, the unread count, marking read, and the e-mail outbox.

A notice is written in the same transaction as the event it reports (a reminder, an overdue
flag), one row per recipient; e-mail is sent afterwards from the rows not yet tried. A row is
claimed (``sending``) before its message goes out, so a notice is e-mailed at most once even
when two sweeps overlap; a crash in the middle leaves those rows ``sending``, visible to the
admin, rather than risk a second copy.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ..config import SmtpSettings
from ..roles import Role
from .db import Database
from .models import User, UserVillage
from .sweep_models import Notification

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


def village_users(session: Session, village_id: int) -> list[int]:
    """Active village verifiers answering for ``village_id``."""
    return list(session.scalars(
        select(User.id).join(UserVillage, UserVillage.user_id == User.id)
        .where(UserVillage.village_id == village_id, User.active.is_(True))))


def notify(session: Session, now: datetime, user_ids: Iterable[int], notice: Notice) -> int:
    """One row per distinct recipient, inside the caller's transaction; returns how many."""
    ids = sorted(set(user_ids))
    if ids:
        session.execute(insert(Notification), [
            {"user_id": uid, "kind": notice.kind, "title": notice.title[:200],
             "body": notice.body, "link": notice.link[:200], "subject_type": notice.subject_type,
             "subject_id": notice.subject_id, "created_at": now} for uid in ids])
    return len(ids)


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def for_user(session: Session, user_id: int, *, unread_only: bool = False,
             before_id: int | None = None, limit: int = PAGE) -> Sequence[Notification]:
    """A user's notices, newest first, keyset-paged by id."""
    q = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    if before_id is not None:
        q = q.where(Notification.id < before_id)
    return session.scalars(q.order_by(Notification.id.desc()).limit(limit)).all()


def for_subject(session: Session, subject_type: str, subject_id: int,
                kinds: Iterable[str] | None = None) -> Sequence[Notification]:
    """Notices about one case (a contract's reminders), one per kind and day: the recipients'
    copies of the same notice collapse to the first."""
    q = select(Notification).where(Notification.subject_type == subject_type,
                                   Notification.subject_id == subject_id)
    if kinds is not None:
        q = q.where(Notification.kind.in_(list(kinds)))
    seen: set[tuple[str, str]] = set()
    out = []
    for n in session.scalars(q.order_by(Notification.id)):
        key = (n.kind, n.title)
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def mark_read(session: Session, user_id: int, now: datetime,
              ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when ``ids`` is None); returns how many.
    Another user's notice ids are ignored, never an error that would reveal they exist."""
    q = update(Notification).where(Notification.user_id == user_id,
                                   Notification.read_at.is_(None))
    if ids is not None:
        id_list = [int(i) for i in ids]
        if not id_list:
            return 0
        q = q.where(Notification.id.in_(id_list))
    return session.execute(q.values(read_at=now)).rowcount or 0  # type: ignore[attr-defined]


def send_pending_email(db: Database, smtp: SmtpSettings | None, limit: int = EMAIL_BATCH) -> int:
    """E-mail notices not yet tried to users who have an address; returns how many were sent.

    Without SMTP settings, or for a user without an address, a notice is marked ``skipped``
    (it stays in the notification centre). A failed send is marked ``failed`` and logged
    without the address; it is not retried automatically, so a broken relay cannot loop.
    """
    with db.transaction() as s:
        rows = s.execute(
            select(Notification.id, Notification.title, Notification.body, Notification.link,
                   User.email, User.display_name)
            .join(User, User.id == Notification.user_id)
            .where(Notification.email_state.is_(None)).order_by(Notification.id).limit(limit)
        ).all()
        # Claim the rows first: two sweeps (or a crash and a rerun) never send one twice.
        claimed = [r.id for r in rows]
        if claimed:
            s.execute(update(Notification).where(Notification.id.in_(claimed),
                                                 Notification.email_state.is_(None))
                      .values(email_state="sending"))
    sent = 0
    results: dict[str, list[int]] = {"sent": [], "skipped": [], "failed": []}
    if not rows:
        return 0
    server: smtplib.SMTP | None = None
    try:
        for r in rows:
            if smtp is None or not r.email:
                results["skipped"].append(r.id)
                continue
            try:
                if server is None:
                    server = _connect(smtp)
                server.send_message(_message(smtp, r.email, r.display_name, r.title, r.body,
                                             r.link))
                results["sent"].append(r.id)
                sent += 1
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("通知邮件发送失败 (通知 %s): %s", r.id, type(exc).__name__)
                results["failed"].append(r.id)
                server = None
    finally:
        if server is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                server.quit()
        now = db.clock.now()
        with db.transaction() as s:
            for state, ids in results.items():
                if ids:
                    s.execute(update(Notification).where(Notification.id.in_(ids))
                              .values(email_state=state, emailed_at=now))
    return sent


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=20)
    if smtp.starttls:
        server.starttls()
    if smtp.user:
        server.login(smtp.user, smtp.password)
    return server


def _message(smtp: SmtpSettings, to: str, name: str, title: str, body: str,
             link: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(("扶智 就业帮扶系统", smtp.sender))
    msg["To"] = formataddr((name, to))
    msg["Subject"] = title
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or "localhost")
    text = body + (f"\n\n在系统中查看：{link}" if link else "")
    msg.set_content(text + "\n\n—— 此邮件由扶智系统自动发送，请勿直接回复。")
    return msg
