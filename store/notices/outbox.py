"""The e-mail outbox: notices not yet tried are e-mailed after the transaction that wrote them.

A row is claimed (``sending``) before its message goes out, so a notice is e-mailed at most once
even when two sweeps overlap; a crash in the middle leaves those rows ``sending``, visible to the
admin, rather than risk a second copy.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select, update

from workflow.config import SmtpSettings

from ..db import Database
from ..models import User
from .models import Notification

log = logging.getLogger("fuzhi.notifications")
EMAIL_BATCH = 200


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
