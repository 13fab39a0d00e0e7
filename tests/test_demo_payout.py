"""From the demo county: finance batches every approved claim, exports, prints, confirms."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from store.access.users import actor_for
from store.documents.contexts import roster_lines
from store.documents.issuing import issue_roster
from store.models import Claim, User
from store.payouts import batch_pool
from store.payouts import batches as payouts
from workflow.numerals import capital_yuan


@pytest.mark.usefixtures("demo")
def test_finance_pays_the_demo_countys_approved_claims(db):
    with db.sessions() as s:
        finance = actor_for(s, s.scalar(select(User).where(User.username == "finance")))
        approved = list(s.scalars(select(Claim.id).where(Claim.state == "hr_reviewed")))
    assert approved
    batch = batch_pool.create_batch(db, finance, claim_ids=approved)
    assert batch.line_count == len(approved)
    assert payouts.bank_file(db, finance, batch.id, "xlsx")[:2] == b"PK"
    roster = issue_roster(db, finance, batch.id, batch.reference, roster_lines(db, approved))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=roster.pdf, capture_output=True, check=True
    ).stdout.decode()
    assert capital_yuan(batch.total_amount) in text.replace(" ", "").replace("\n", "")
    outcomes = payouts.confirm_paid(db, finance, batch.id, "YH-DEMO-1", date(2026, 11, 28))
    assert Counter(o.outcome for o in outcomes) == {"paid": len(approved)}
    with db.sessions() as s:
        paid = s.scalar(
            select(func.count())
            .select_from(Claim)
            .where(Claim.id.in_(approved), Claim.state == "finance_paid")
        )
    assert paid == len(approved)
