"""The forms' one-time tokens' periodic work, run by the sweep (``sweep.runner``): a form's kept
outcome is forgotten once nobody can still send that form (its page was rendered for a session
that has long ended), so the table holds days of forms, not years."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from ..access.sessions import ABSOLUTE
from ..db import Database
from ..sweep.chunks import SweepOptions, SweepReport, chunks
from .models import FormToken

# Four times a session's absolute lifetime: a page rendered for a session is sent within it, or
# after signing in again with the draft kept (the restored form carries a new token).
KEPT = 4 * ABSOLUTE
assert timedelta(days=2) <= KEPT


def forget_form_outcomes(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """Form tokens older than ``KEPT``: deleted, a chunk at a time."""
    cutoff = db.clock.now() - KEPT

    def query(last: int) -> Any:
        return (
            select(FormToken.id)
            .where(FormToken.created_at < cutoff, FormToken.id > last)
            .order_by(FormToken.id)
        )

    for conn, rows, done in chunks(db, query, report, opts, "forget_form_outcomes"):
        conn.execute(delete(FormToken).where(FormToken.id.in_([r.id for r in rows])))
        done.add("form_tokens_forgotten", len(rows))
