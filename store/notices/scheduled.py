"""The notices' periodic work, run last by the sweep (``sweep.runner``): e-mailing what the
run (and anything else) told people."""

from __future__ import annotations

from sqlalchemy import select, update

from ..db import Database
from ..sweep.chunks import SweepOptions, SweepReport
from .models import Notification
from .outbox import send_pending_email

EMAIL_BATCHES = 10  # of outbox.EMAIL_BATCH (200) each


def deliver_email(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """E-mail the notices not yet tried (``outbox.send_pending_email``), a batch at a
    time and at most ``EMAIL_BATCHES`` a run, so a backlog cannot hold the sweep for long;
    without SMTP settings they are all marked ``skipped`` at once."""
    if opts.smtp is None:
        with db.transaction() as s:
            s.execute(
                update(Notification)
                .where(Notification.email_state.is_(None))
                .values(email_state="skipped", emailed_at=db.clock.now())
            )
        return
    for _ in range(EMAIL_BATCHES):
        with db.sessions() as s:
            if s.scalar(select(Notification.id).where(Notification.email_state.is_(None)).limit(1)) is None:
                return
        report.add("emails_sent", send_pending_email(db, opts.smtp, base_url=opts.base_url))
