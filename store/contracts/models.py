"""The record of changes to public-welfare posts (written by ``post_edits``, shown on the post's form)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class PostChange(Base):
    """One immutable row per edit of a post: who, when, each field old → new. UPDATE and
    DELETE are refused by a trigger."""

    __tablename__ = "post_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime)
    # [{"field": "monthly_subsidy", "old": "600.00", "new": "800.00"}, …]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
