"""A list's stored report: every row's outcome as the upload returned it and as it is kept
(ID and bank numbers masked), read back, and its result workbook."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflow.errors import NotFound
from workflow.lists.result import result_workbook_bytes
from workflow.lists.rows import RowError
from workflow.roles import Actor

from ..db import Database
from ..models import ClaimList

MAX_ID = 2**31 - 1  # INTEGER ids (PostgreSQL int4)


@dataclass(frozen=True)
class RowOutcome:
    row: int
    status: str  # accepted / refused / valid (a dry run's row that would be accepted)
    claim_id: int | None = None
    amount: Decimal | None = None
    errors: tuple[RowError, ...] = ()  # (column header, code, Chinese message)


@dataclass(frozen=True)
class ListReport:
    list_id: int
    dry_run: bool
    rows_total: int
    rows_accepted: int  # filed; in a dry run, the rows that would be
    rows_refused: int
    rows: tuple[RowOutcome, ...]


def stored_row(number: int, cells: list[object], outcome: RowOutcome) -> dict[str, Any]:
    """A row's outcome as the list keeps it (``cells`` already masked); ``list_outcomes``
    reads it back."""
    return {
        "row": number,
        "cells": cells,
        "status": outcome.status,
        "claim_id": outcome.claim_id,
        "amount": None if outcome.amount is None else str(outcome.amount),
        "errors": [list(e) for e in outcome.errors],
    }


def get_list(db: Database, actor: Actor, list_id: int) -> ClaimList:
    """An uploaded list of the actor's own organisation; any other is not found."""
    if not 1 <= list_id <= MAX_ID:  # no database can look it up: nobody has it
        raise NotFound("not_found.list", "未找到该清单", id=list_id)
    with db.transaction() as session:
        claim_list = session.get(ClaimList, list_id)
        if claim_list is None or actor.org_id is None or claim_list.org_id != actor.org_id:
            raise NotFound("not_found.list", "未找到该清单", id=list_id)
        return claim_list


def result_workbook(claim_list: ClaimList) -> bytes:
    """The result file (.xlsx): every row with its outcome, refused rows highlighted."""
    outcomes = claim_list.outcomes or {}
    return result_workbook_bytes(
        outcomes.get("headers", []),
        outcomes.get("rows", []),
        filename=claim_list.filename,
        dry_run=claim_list.dry_run,
        created_at=claim_list.created_at,
        list_id=claim_list.id,
    )


def list_outcomes(claim_list: ClaimList) -> ListReport:
    """A stored list as the report its upload returned."""
    rows = tuple(
        RowOutcome(
            r["row"],
            r["status"],
            r.get("claim_id"),
            None if r.get("amount") is None else Decimal(r["amount"]),
            tuple(RowError(*e) for e in r.get("errors") or ()),
        )
        for r in (claim_list.outcomes or {}).get("rows", [])
    )
    return ListReport(
        claim_list.id,
        claim_list.dry_run,
        claim_list.rows_total,
        claim_list.rows_accepted,
        claim_list.rows_refused,
        rows,
    )
