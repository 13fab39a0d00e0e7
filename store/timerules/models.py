"""The admin's settings (deadlines, reminder days), kept as JSON rows; code defaults apply when
a key is absent (``timerules.settings``, read through ``timerules.timecache``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class Setting(Base):
    """One admin setting (deadlines, reminder days), as JSON. Code defaults apply when absent."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[int] = mapped_column(Integer)
