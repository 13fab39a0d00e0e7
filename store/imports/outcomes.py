"""What an import reports: every row's outcome (新增, 更新 with the columns it changed, 无变化,
or refused with its errors), the run's report as the page shows it, and a row as the run keeps
it (cells masked)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.lists.rows import RowError

STATUSES = ("created", "updated", "unchanged", "refused")


@dataclass(frozen=True)
class ImportRow:
    row: int
    status: str  # created / updated / unchanged / refused (a dry run: what a load would do)
    record_id: int | None = None  # the village or person (none for a dry run's new one)
    changed: tuple[str, ...] = ()  # the Chinese headers of the columns an update changes
    errors: tuple[RowError, ...] = ()
    shown: str = ""  # the row's own cells that tell it apart (names, codes, the ID masked)


@dataclass(frozen=True)
class ImportReport:
    run_id: int
    kind: str
    dry_run: bool
    filename: str
    created_at: datetime
    uploaded_by: str
    counts: Mapping[str, int]  # by status
    rows: tuple[ImportRow, ...]
    loadable: bool  # a dry run whose file is kept: the page offers 导入
    loaded_as: int | None  # the load of this dry run

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def stored_row(cells: list[object], outcome: ImportRow) -> dict[str, Any]:
    """A row's outcome as the run keeps it (``cells`` already masked)."""
    return {
        "row": outcome.row,
        "cells": cells,
        "status": outcome.status,
        "record_id": outcome.record_id,
        "changed": list(outcome.changed),
        "errors": [list(e) for e in outcome.errors],
    }


def row_of(stored: Mapping[str, Any], shown: Sequence[int] = ()) -> ImportRow:
    """A kept row as the page shows it; ``shown``: where the cells that tell it apart are."""
    cells = stored.get("cells") or ()
    return ImportRow(
        stored["row"],
        stored["status"],
        stored.get("record_id"),
        tuple(stored.get("changed") or ()),
        tuple(RowError(*e) for e in stored.get("errors") or ()),
        " ".join(str(cells[i]) for i in shown if i < len(cells) and cells[i] not in (None, "")),
    )
