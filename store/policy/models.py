"""Policy years' parameter sets, one immutable row per edit, and the log of who changed what.

A claim points at the set it was computed with, so a later edit never changes its amount.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, event, insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from ..base import Base
from ..models import PolicyYear


class PolicyParamsVersion(Base):
    """One parameter set of a year as it stood after an edit; never changed afterwards."""

    __tablename__ = "policy_params_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("policy_year.year", ondelete="CASCADE"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The figures the plan does not give that the bureau has confirmed for this year.
    confirmed: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[int] = mapped_column(Integer)  # user id, 0 for the system


class PolicyChange(Base):
    """One change of one figure (or a year copied from another): who, when, old → new."""

    __tablename__ = "policy_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("policy_year.year", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_params_version.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(10))  # copy / create / set / confirm
    field: Mapped[str | None] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(50))


@event.listens_for(PolicyYear, "after_insert")
def _first_version(_mapper: Mapper[Any], conn: Connection, year: PolicyYear) -> None:
    """A year added without a version (a test, a script) gets its version 1 from its figures,
    so every claim can point at the set it used."""
    if year.current_version_id is not None:
        return
    version_id = conn.execute(
        insert(PolicyParamsVersion.__table__)
        .values(year=year.year, params=year.params, confirmed=[], created_at=year.created_at, created_by=0)
        .returning(PolicyParamsVersion.__table__.c.id)
    ).scalar_one()
    conn.execute(
        update(PolicyYear.__table__)
        .where(PolicyYear.__table__.c.year == year.year)
        .values(current_version_id=version_id)
    )
    set_committed_value(year, "current_version_id", version_id)
