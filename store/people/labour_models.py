"""The plan's baseline per year: the county's low-income people and labour force (the bureau's data)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class PlanBaseline(Base):
    """What the year's plan counted (e.g. 2026: 12,344 low-income people, 4,006 labour force):
    the dashboard's rates are shown against it beside the registered people."""

    __tablename__ = "plan_baseline"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    low_income_people: Mapped[int] = mapped_column(Integer)
    labour_force: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int] = mapped_column(Integer)  # 0: the migration's seed
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(
            "labour_force >= 0 AND labour_force <= low_income_people", name="labour_within_people"
        ),
    )
