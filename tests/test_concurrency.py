"""Two people taking the same step at once: exactly one wins, the rest get a conflict."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from store.models import Claim, ClaimHistory
from store.transitions import transition
from workflow.errors import Conflict

from .builders import county, export_claim, person

THREADS = 20


def race(db, claim_id, version, actor, trigger="verify"):
    barrier = threading.Barrier(THREADS)

    def attempt(_):
        barrier.wait()
        try:
            transition(db, "claim", claim_id, trigger, actor, expected_version=version)
            return "ok"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(attempt, range(THREADS)))


def assert_one_winner(db, claim_id, outcomes):
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("conflict") == THREADS - 1, outcomes
    with db.sessions() as s:
        rows = s.scalar(
            select(func.count())
            .select_from(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "verify")
        )
        assert rows == 1
        assert s.get(Claim, claim_id).state == "village_verified"


@pytest.mark.postgres
def test_twenty_threads_verifying_one_claim_on_postgres(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    assert_one_winner(db, claim.id, race(db, claim.id, claim.version, c.verifier))


def test_twenty_threads_verifying_one_claim_on_the_configured_database(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    assert_one_winner(db, claim.id, race(db, claim.id, claim.version, c.verifier))
