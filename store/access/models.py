"""The record of changes to staff accounts (written by ``user_log``, shown on a user's page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class UserChange(Base):
    """One immutable row per change to an account: who, when, what (each field old → new; a
    password or token never, only that it was set). UPDATE and DELETE are refused by a trigger."""

    __tablename__ = "user_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    # create / edit / deactivate / reactivate / unlock / password / token_create / token_revoke
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(Integer)  # 0: the command line or the system
    actor_name: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime)
    # [{"field": "roles", "old": "…", "new": "…"}, …]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
