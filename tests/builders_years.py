"""Policy years for tests that live in years the migration does not seed."""

from __future__ import annotations

from datetime import datetime

from store.db import Database
from store.models import PolicyYear


def add_policy_years(db: Database, *years: int, source: int = 2026) -> None:
    """Each of ``years``' parameters as a copy of ``source``'s (the seeded 2026 by default);
    a year already set is left as it is."""
    with db.transaction() as s:
        base = s.get_one(PolicyYear, source)
        for year in years:
            if s.get(PolicyYear, year) is None:
                s.add(
                    PolicyYear(
                        year=year, params=dict(base.params, year=year), created_at=datetime(2026, 11, 1)
                    )
                )
