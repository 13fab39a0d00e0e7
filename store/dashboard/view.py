"""The dashboard as a staff member sees it: their scope's figures and the policy years missing."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.roles import Actor

from ..db import Database
from ..policy.versions import years_missing
from .figures import Dashboard, dashboard
from .scope import scope_for


@dataclass(frozen=True)
class DashboardPage:
    figures: Dashboard
    policy_missing: list[int]


def dashboard_page(db: Database, actor: Actor) -> DashboardPage:
    """The county's figures for county staff, their villages' for a verifier."""
    now = db.clock.now()
    with db.transaction() as session:
        return DashboardPage(
            dashboard(session, scope_for(actor), now, db.vault), years_missing(session, now.date())
        )
