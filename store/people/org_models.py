"""The register of organisations' record of changes (written by ``register``, read by ``org_queries``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class OrganisationHistory(Base):
    """One immutable row per change to an organisation: who, when, and each field old → new
    (a bank account only ever masked). UPDATE and DELETE are refused by a trigger."""

    __tablename__ = "organisation_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # register / edit / agent_moved
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime)
    # [{"field": "credit_code", "old": "…", "new": "…"}, …]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
