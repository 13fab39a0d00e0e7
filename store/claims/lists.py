"""Bulk lists (申报清单): an agent uploads many claims at once; each row is filed or refused.

One database transaction per list. Everything a row's rules need is read up front in a few
queries (the villages, the persons by ID hash, the live claims of every person in the list,
the policy parameters, the contracts), the rows are checked in memory with the same rules as
a single claim (``workflow.lists.check``), once, with the ids the new persons will have, and
the accepted rows are written in bulk, one statement a table with ids reserved in one query:
new persons, claims (batch ``L{list id}``) and their first history rows. A refused row is
reported with its row number, column and reason and changes nothing. If the bulk write meets
a concurrent upload that took the same place (a unique constraint), the list is checked again
and written row by row, each in its own savepoint.

The list itself is stored with every row's outcome (ID and bank numbers masked), also for a
dry run, so that its result file can be downloaded.

This module is the upload: its transaction and the list it stores. Each row checked against
the database is ``list_rows``, the filing ``list_filer`` (its bulk SQL ``bulk_sql``), the
stored report, read back and as a workbook, ``list_report``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from workflow.lists.cells import cell_masker, clean_text
from workflow.lists.limits import refuse_early
from workflow.lists.rows import ListRow
from workflow.lists.upload import read_upload
from workflow.roles import Actor

from .. import heavy
from ..db import Database
from ..models import ClaimList
from .filing import claimant_of
from .list_filer import file_rows
from .list_report import ListReport, RowOutcome, stored_row


def upload_list(
    db: Database,
    actor: Actor,
    filename: str,
    content: bytes,
    *,
    dry_run: bool = False,
    committed: Callable[[Session, int], None] | None = None,
) -> ListReport:
    """Check every row of an uploaded list and file the valid ones as claims (unless dry run).

    Raises ``ValidationFailed`` (``validation.list_*``) for a file that cannot be read at all
    and ``TransitionRefused`` for an actor who is not an agent of an organisation.
    ``committed`` is called last in the list's transaction with the list id (an Idempotency-Key
    records it there, so that a retry after a crash finds the list that committed).
    """
    with db.transaction() as session:
        org = claimant_of(session, actor)
    refuse_early(content)  # most bombs, before they take a worker
    raw, read = heavy.run(read_upload, filename, content)  # in a worker process
    now = db.clock.now()
    with db.transaction() as session:
        claim_list = ClaimList(
            org_id=org.id,
            uploaded_by=actor.user_id,
            filename=clean_text(filename or "")[-200:],
            file_format=raw.file_format,
            sha256=hashlib.sha256(content).hexdigest(),
            dry_run=dry_run,
            outcomes={},
            created_at=now,
        )
        session.add(claim_list)
        session.flush()  # the first write: on SQLite the list holds the write lock from here
        valid = [r for r in read if isinstance(r, ListRow)]
        outcomes = file_rows(session, db, actor, org, claim_list.id, now, valid, dry_run)
        rows: list[RowOutcome] = []
        stored: list[dict[str, Any]] = []
        masked = cell_masker(raw.headers)
        for (number, cells), item in zip(raw.rows, read, strict=True):
            if isinstance(item, ListRow):
                outcome = outcomes[number]
            else:
                outcome = RowOutcome(number, "refused", errors=item)
            rows.append(outcome)
            stored.append(stored_row(number, masked(cells), outcome))
        accepted = sum(r.status != "refused" for r in rows)
        claim_list.rows_total = len(rows)
        claim_list.rows_accepted = accepted
        claim_list.rows_refused = len(rows) - accepted
        claim_list.outcomes = {"headers": list(raw.headers), "rows": stored}
        list_id = claim_list.id
        if committed is not None:
            committed(session, list_id)
    return ListReport(list_id, dry_run, len(rows), accepted, len(rows) - accepted, tuple(rows))
