"""What the sweep keeps: the marks that make each sweep action happen once, the per-village
counts of a task not yet told, and a log of sweep runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


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
