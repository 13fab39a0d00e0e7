"""The demo county and the sweep: the contract that ended yesterday expires, the contracts
ending within 30 days get their reminders (and show them), last month's post subsidies open,
and a second sweep finds nothing left to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from store.models import Claim, Contract, ContractHistory
from store.notices.models import Notification
from store.sweep.runner import run_sweep

from .page_support import sign_in


@pytest.mark.usefixtures("demo")
def test_after_a_sweep_the_demo_shows_expiry_reminders_and_new_post_claims(db):
    today = db.clock.now().date()
    with db.sessions() as s:
        overdue_contract = s.scalars(
            select(Contract.id).where(Contract.state == "active", Contract.end_date < today)
        ).one()
        ending = list(
            s.scalars(
                select(Contract.id).where(
                    Contract.state == "active",
                    Contract.end_date >= today,
                    Contract.end_date <= today + timedelta(days=30),
                    Contract.successor_id.is_(None),
                )
            )
        )
    assert len(ending) >= 3

    report = run_sweep(db)
    assert report.counts["contracts_expired"] == 1
    assert report.counts["reminders_sent"] == len(ending)
    assert report.counts["post_claims_opened"] > 0
    with db.sessions() as s:
        assert s.get(Contract, overdue_contract).state == "expired"
        entry = s.scalars(
            select(ContractHistory)
            .where(ContractHistory.contract_id == overdue_contract)
            .order_by(ContractHistory.id.desc())
        ).first()
        assert (entry.trigger, entry.actor_name) == ("expire", "系统")
        reminded = set(
            s.scalars(select(Notification.subject_id).where(Notification.kind == "renewal_reminder"))
        )
        opened = s.scalar(select(func.count()).select_from(Claim).where(Claim.submitted_by == 0))
    assert reminded == set(ending)
    assert opened == report.counts["post_claims_opened"]

    again = run_sweep(db)
    assert not {k: v for k, v in again.counts.items() if k != "post_claims_existing"}

    hr = sign_in(db, "hr1", "meili-snow-2026")
    page = hr.get(f"/contracts/{ending[0]}")
    assert page.status_code == 200
    assert "续签提醒" in page.text and "到期" in page.text
    expired = hr.get(f"/contracts/{overdue_contract}")
    assert "到期终止" in expired.text
