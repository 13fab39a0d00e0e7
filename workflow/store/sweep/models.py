"""What the time-driven side keeps: settings the admin changes, notices to users, the marks
that make each sweep action happen once, and a log of sweep runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class Setting(Base):
    """One admin setting (deadlines, reminder days), as JSON. Code defaults apply when absent."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[int] = mapped_column(Integer)


class Notification(Base):
    """A notice to one user: shown in their notification centre, e-mailed where configured."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # E-mail: NULL while not yet tried; 'sent', 'skipped' (no address or no SMTP), 'failed'.
    email_state: Mapped[str | None] = mapped_column(String(10))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_notification_user_read", "user_id", "read_at", "id"),
        Index("ix_notification_subject", "subject_type", "subject_id"),
        Index("ix_notification_email", "email_state", "id"),
    )


class SweepEvent(Base):
    """A once-only action the sweep took (a renewal reminder, a notice about a missing policy
    year): written in the same transaction as its effects, so a rerun finds it done."""

    __tablename__ = "sweep_event"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    subject_type: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_sweep_event_subject", "subject_type", "subject_id"),)


class SweepRun(Base):
    """One run of the sweep: when, by which process, what it did, or how it failed."""

    __tablename__ = "sweep_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    runner: Mapped[str] = mapped_column(String(60))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class SweepTally(Base):
    """What a sweep task did per village (or organisation), kept with each chunk until the
    task ends and tells people once: a run stopped midway leaves its counts here, and the
    next run's notice includes them."""

    __tablename__ = "sweep_tally"
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(40), index=True)
    subject_id: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
