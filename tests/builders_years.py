"""Policy years for tests that live in years the migration does not seed."""

from __future__ import annotations

from datetime import datetime

from workflow.store.db import Database
from workflow.store.models import PolicyYear


def add_policy_year(db: Database, year: int, source: int = 2026) -> None:
    """``year``'s parameters as a copy of ``source``'s (the seeded 2026 by default)."""
    with db.transaction() as s:
        if s.get(PolicyYear, year) is None:
            base = s.get_one(PolicyYear, source)
            s.add(
                PolicyYear(year=year, params=dict(base.params, year=year), created_at=datetime(2026, 11, 1))
            )
