"""Payout batches and their lines: the tables behind finance's payments (services in ``payouts``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..base import Base, Money
from ..models import HistoryMixin

BATCH_STATES = ("open", "exported", "confirmed", "closed")
LINE_STATUSES = ("pending", "paid", "failed")
# Finance's decisions on a flagged line: accept what the bank paid (the difference is handled
# outside this batch), or take the line out and return the claim to the pool.
DECISIONS = ("bank_amount", "returned")


class PayoutBatch(Base):
    """A set of approved claims paid together, with the control totals fixed when it was made."""

    __tablename__ = "payout_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # FK2026-0001
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    created_by: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    line_count: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    # [{"payee", "account_last4", "lines", "amount"}]: per payee, amounts as strings.
    payee_totals: Mapped[dict[str, Any]] = mapped_column()
    exported_by: Mapped[int | None] = mapped_column(Integer)
    exported_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    lines: Mapped[list[PayoutLine]] = relationship(back_populates="batch", order_by="PayoutLine.seq")
    __table_args__ = (CheckConstraint("state IN ('open', 'exported', 'confirmed', 'closed')", name="state"),)


class PayoutLine(Base):
    """One claim in a batch. ``open_claim_id`` is set only while the line is pending and
    ``paid_claim_id`` only once it is paid: both UNIQUE, so the database itself refuses a claim
    in two open batches and a claim paid twice."""

    __tablename__ = "payout_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batch.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    open_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), unique=True)
    paid_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), unique=True)
    payee_kind: Mapped[str] = mapped_column(String(10))
    payee_name: Mapped[str] = mapped_column(String(100))
    account_enc: Mapped[str] = mapped_column(Text)
    account_last4: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    bank_reference: Mapped[str | None] = mapped_column(String(60))
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_by: Mapped[int | None] = mapped_column(Integer)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    failed_by: Mapped[int | None] = mapped_column(Integer)
    # What was actually paid: the amount, or what the bank paid when finance accepted a
    # difference (``decision`` "bank_amount").
    paid_amount: Mapped[Decimal | None] = mapped_column(Money)
    # The bank's return file disagreed with this line (e.g. 80 paid where 800 was due): it is
    # held for finance's decision, never confirmed by a batch-wide confirmation.
    bank_amount: Mapped[Decimal | None] = mapped_column(Money)
    bank_serial: Mapped[str | None] = mapped_column(String(60))
    flag_reason: Mapped[str | None] = mapped_column(Text)
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision: Mapped[str | None] = mapped_column(String(20))  # DECISIONS
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    batch: Mapped[PayoutBatch] = relationship(back_populates="lines")

    @property
    def awaiting_decision(self) -> bool:
        """Held for finance's decision: a pending line the bank reported differently, or a
        failed one the bank says it paid (``disputes``)."""
        return (
            self.status in ("pending", "failed") and self.flagged_at is not None and self.decided_at is None
        )

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'paid', 'failed')", name="status"),
        CheckConstraint(
            "(status = 'pending' AND open_claim_id = claim_id) OR "
            "(status <> 'pending' AND open_claim_id IS NULL)",
            name="open_iff_pending",
        ),
        CheckConstraint(
            "(status = 'paid' AND paid_claim_id = claim_id) OR (status <> 'paid' AND paid_claim_id IS NULL)",
            name="paid_iff_paid",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class PayoutHistory(HistoryMixin, Base):
    """The batch's steps (made, exported, confirmed, closed), append-only like a claim's."""

    __tablename__ = "payout_history"
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batch.id"), index=True)
