"""The audit log's tables: the hash-chained entries, the one-row chain head that serialises
appends, and the queue of protected rows (history rows, payout lines) written in a transaction
and not yet sealed into the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base

GENESIS = "0" * 64  # the hash before the first entry


class AuditEntry(Base):
    """One event: who (user, role), when, from where, what (action, target), the outcome, a
    small detail (never a full ID or bank number); for a sealed row, which row and its digest.
    ``hash`` is sha256 of the canonical JSON of these fields and ``prev_hash``."""

    __tablename__ = "audit_entry"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str | None] = mapped_column(String(60))
    client: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    target_kind: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    row_table: Mapped[str | None] = mapped_column(String(30))
    row_id: Mapped[int | None] = mapped_column(Integer)
    row_digest: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_user_id", "user_id", "seq"),
        Index("ix_audit_entry_action", "action", "seq"),
        Index("ix_audit_entry_target", "target_kind", "target_id"),
        Index("ix_audit_entry_row", "row_table", "row_id"),
    )


class AuditHead(Base):
    """The chain's head, one row (id 1): the last entry's position and hash. Every append locks
    it in the transaction that writes the entries, so two writers never fork the chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    # The protected tables' last row id when the log began: older rows were never sealed.
    floors: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditPending(Base):
    """Protected rows written in an open transaction, queued by a trigger (INSERT on the
    history tables and on ``payout_line``) and sealed into the chain before that transaction
    commits. On PostgreSQL ``tx`` is the writing transaction's id, so a row queued by anyone
    else (a database user writing by hand) is never sealed on their behalf."""

    __tablename__ = "audit_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_table: Mapped[str] = mapped_column(String(30))
    row_id: Mapped[int] = mapped_column(Integer)
    tx: Mapped[int | None] = mapped_column(BigInteger)
