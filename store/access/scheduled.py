"""The sign-in's periodic work, run by the sweep (``sweep.runner``): counters of the shared limiter
that no longer hold anything back (their window long over, no wait running) and sign-in
challenges long expired are deleted, so the tables hold a day of attempts, not years."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from ..db import Database
from ..sweep.chunks import SweepOptions, SweepReport
from .models import SignInChallenge, ThrottleBucket

# Longer than any window or wait of the limiter (15 minutes at most): a day.
KEPT = timedelta(days=1)


def forget_sign_in_traces(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """Idle counters and expired challenges older than ``KEPT``: deleted (a few thousand rows at
    most: the per-address window bounds how fast a stranger can add them)."""
    del opts
    now = db.clock.now()
    with db.transaction() as session:
        idle = session.execute(
            delete(ThrottleBucket).where(
                ThrottleBucket.window_start < now - KEPT,
                or_(ThrottleBucket.blocked_until.is_(None), ThrottleBucket.blocked_until < now),
            )
        )
        expired = session.execute(delete(SignInChallenge).where(SignInChallenge.expires_at < now - KEPT))
    report.add("sign_in_traces_forgotten", (idle.rowcount or 0) + (expired.rowcount or 0))  # type: ignore[attr-defined]
