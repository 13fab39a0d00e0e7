"""The audit log's periodic work, run by the sweep (``sweep.runner``) before the e-mail: once a
day, the chain's head (SEQ:HASH) sent to every admin as a notice (and so by e-mail), so that a
copy of the head lives outside the database: ``fuzhi audit verify --head SEQ:HASH`` then finds a
chain rebuilt since.

Retention: entries are kept at least 180 days (``RETENTION``); nothing here or anywhere else
deletes them (the table refuses UPDATE and DELETE by trigger). A purge, if ever added, must
leave a checkpoint entry carrying the hash of the last entry it removes, so that the chain
after it still verifies, and must never touch entries younger than ``RETENTION``."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from workflow.roles import Role

from ..db import Database
from ..notices.models import Notification
from ..notices.notifications import Notice, notify, users_with_role
from ..sweep.chunks import SweepOptions, SweepReport
from . import chain
from .recording import entry, note

RETENTION = timedelta(days=180)
KIND = "audit_head"


def send_audit_head(db: Database, report: SweepReport, _opts: SweepOptions) -> None:
    """Today's head to the admins, once a day (the day is the notice's subject)."""
    now = db.clock.now()
    day = int(now.strftime("%Y%m%d"))
    with db.transaction() as s:
        sent = s.scalar(
            select(Notification.id)
            .where(
                Notification.kind == KIND,
                Notification.subject_type == "audit",
                Notification.subject_id == day,
            )
            .limit(1)
        )
        admins = users_with_role(s, Role.ADMIN)
        if sent is not None or not admins:
            return
        seq, digest = chain.head(s.connection())
        notice = Notice(
            kind=KIND,
            title=f"审计日志链头 {now:%Y-%m-%d}：{seq}:{digest[:16]}…",
            body=(
                f"审计日志链头（请在数据库之外保存）：{seq}:{digest}\n"
                f"核对：fuzhi audit verify --head {seq}:{digest}"
            ),
            link="/admin/audit",
            subject_type="audit",
            subject_id=day,
        )
        report.add("audit_head_sent", notify(s, now, admins, notice))
        note(
            s,
            entry(now, "audit.head_sent", target=("audit", seq), detail={"hash": digest, "to": len(admins)}),
        )
