"""The key check value kept with the data: which master key the data is under, and how far a
rotation to the next one has got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class KeyCheck(Base):
    """One row (id 1). ``key_id`` names the master key the data is under (a keyed hash of a
    fixed text, never the key); ``check_mac`` and ``check_token`` are that text hashed with the
    look-up key and encrypted with the encryption key, so a wrong key is caught before it
    hashes or decrypts anything. The ``next_*`` columns are set while ``fuzhi keys rotate`` is
    under way, with ``cursor``: the last table and row id already under the next key."""

    __tablename__ = "key_check"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))
    check_mac: Mapped[str] = mapped_column(String(64))
    check_token: Mapped[str] = mapped_column(Text)
    next_key_id: Mapped[str | None] = mapped_column(String(16))
    next_check_mac: Mapped[str | None] = mapped_column(String(64))
    next_check_token: Mapped[str | None] = mapped_column(Text)
    cursor: Mapped[str | None] = mapped_column(String(80))
    written_at: Mapped[datetime] = mapped_column(DateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime)
