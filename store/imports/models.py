"""The admin's imports of places and persons: each upload (a dry run or a load) with every
row's outcome, ID and bank numbers masked, and a dry run's file kept encrypted until loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class ImportRun(Base):
    """One file of places (乡镇和行政村) or persons (人员名单) checked, and loaded unless a dry
    run. ``pending_file``: a dry run's file, encrypted like an ID number, kept so that the page's
    导入 button loads exactly what was checked; cleared when it is loaded or the uploader checks
    another file of the same kind."""

    __tablename__ = "import_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # places / persons
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(10))  # xlsx / csv / json
    sha256: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_refused: Mapped[int] = mapped_column(Integer, default=0)
    outcomes: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"headers": [...], "rows": [...]}
    created_at: Mapped[datetime] = mapped_column(DateTime)
    pending_file: Mapped[str | None] = mapped_column(Text)
    loaded_as: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))  # the load of a dry run
