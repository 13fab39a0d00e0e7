"""What the admin's pages show: the settings (deadlines, reminders, calendar, the sweep's runs),
the plan's baselines and working age, and the policy years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.labour import WorkingAge
from workflow.timerules import TimeRules

from ..db import Database
from ..notices.models import Notification
from ..people import labour
from ..policy import versions as policy
from ..sweep.models import SweepRun
from ..sweep.runner import last_runs
from . import settings

RUNS_SHOWN = 10


@dataclass(frozen=True)
class SettingsView:
    year: int  # the calendar year shown
    rules: TimeRules  # deadlines and reminder days in force
    days: list[settings.CalendarDay]  # the year's holidays and make-up days
    runs: list[SweepRun]  # the sweep's latest runs
    stuck_emails: int  # e-mails left half-sent by a crash, for the admin to look into
    today: date


def stuck_emails(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Notification).where(Notification.email_state == "sending")
        )
        or 0
    )


def settings_page(db: Database, year: int | None) -> SettingsView:
    """The settings page for a calendar year (this year's if none or out of range)."""
    today = db.clock.now().date()
    if year is None or not settings.FIRST_YEAR <= year <= settings.LAST_YEAR:
        year = db.clock.now().year
    with db.transaction() as session:
        return SettingsView(
            year,
            settings.current(db, session),
            settings.calendar_days(session, year),
            list(last_runs(session, RUNS_SHOWN)),
            stuck_emails(session),
            today,
        )


@dataclass(frozen=True)
class BaselineView:
    rows: list[labour.Baseline]
    ages: WorkingAge
    year: int


def baseline_page(db: Database) -> BaselineView:
    with db.transaction() as session:
        return BaselineView(labour.baselines(session), labour.working_age(session), db.clock.now().year)


@dataclass(frozen=True)
class PolicyPage:
    years: list[int]  # the years that have figures
    missing: list[int]  # years that should have figures by now and have none
    year: int | None  # the year shown: the one asked for, else the last
    view: policy.YearView | None
    today: date


def policy_page(db: Database, year: int | None) -> PolicyPage:
    today = db.clock.now().date()
    with db.transaction() as session:
        years = policy.years(session)
        missing = policy.years_missing(session, today)
        if year not in years:
            year = years[-1] if years else None
        view = policy.view(session, year) if year is not None else None
    return PolicyPage(years, missing, year, view, today)
