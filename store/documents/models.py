"""The register of issued documents: what a printed number and verification code stand for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class Document(Base):
    """One issued PDF. Case documents keep only their hash (they can be re-rendered from the
    case); a roster, produced in the background, is also kept on disk (``stored``) for its
    download. A holder's copy is genuine when its code is here and current. A case document
    also keeps the hash of what it shows (``context_sha256``) and the address its QR code leads
    to (``verify_base``), and a roster the hash of its lines once it is current: a download of
    an unchanged document, or a roster asked for again, is the same numbered document."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    verification_code: Mapped[str] = mapped_column(String(32), unique=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    issued_by: Mapped[int] = mapped_column(Integer)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A roster rendered in the background: where its PDF is kept, or why it could not be made.
    stored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    error: Mapped[str | None] = mapped_column(String(200))
    # A case document: the hash of its context (``issuing.context_hash``) and its QR code's site;
    # a roster: the hash of its lines (``rosters.roster_version``).
    context_sha256: Mapped[str | None] = mapped_column(String(64))
    verify_base: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_document_subject", "subject_type", "subject_id", "kind"),
        # One current number per version: two downloads at once cannot both number it.
        Index(
            "uq_document_current_version",
            "kind",
            "subject_type",
            "subject_id",
            "context_sha256",
            unique=True,
            sqlite_where=text("superseded_at IS NULL AND context_sha256 IS NOT NULL"),
            postgresql_where=text("superseded_at IS NULL AND context_sha256 IS NOT NULL"),
        ),
    )
