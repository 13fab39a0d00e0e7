"""The sweep as it runs for real: inside a live server on the demo county, and as
``fuzhi sweep`` from cron; then the reminders in a real browser, and renewal from one."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from demo import load_demo
from store.models import Contract
from store.notices.models import Notification
from store.sweep.models import SweepRun

from .browser_support import chromium, needs_chromium, new_page, shot, sign_in
from .live_server import ROOT, SECRET, live_server


def finished_runs(db) -> list[SweepRun]:
    with db.sessions() as s:
        return list(s.scalars(select(SweepRun).where(SweepRun.finished_at.is_not(None))))


@pytest.fixture(scope="module")
def server():
    with live_server({"FUZHI_SWEEP_MINUTES": "60"}, prepare=load_demo) as live:
        deadline = time.monotonic() + 60
        while not finished_runs(live.db):
            assert time.monotonic() < deadline, live.output()
            time.sleep(0.3)
        yield live


def test_the_server_sweeps_by_itself_soon_after_it_starts(server):
    (run,) = finished_runs(server.db)
    assert run.runner == "server" and run.error is None
    assert run.counts["contracts_expired"] == 1 and run.counts["reminders_sent"] >= 3
    with server.db.sessions() as s:
        assert (
            s.scalar(
                select(Contract.id).where(
                    Contract.state == "active", Contract.end_date < server.db.clock.now().date()
                )
            )
            is None
        )


def test_fuzhi_sweep_from_cron_finds_the_work_done_and_says_so(server):
    env = {**os.environ, "DATABASE_URL": str(server.db.engine.url), "FUZHI_SECRET_KEY": SECRET}
    out = subprocess.run(
        [sys.executable, "-m", "cli", "sweep"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "协议到期终止" not in out.stdout and "续签提醒" not in out.stdout
    assert len(finished_runs(server.db)) == 2


@needs_chromium
def test_hr_opens_a_reminder_from_the_notification_centre_and_renews_in_one_click(server):
    with server.db.sessions() as s:
        reminder = s.scalars(
            select(Notification).where(Notification.kind == "renewal_reminder").order_by(Notification.id)
        ).first()
        contract_id = reminder.subject_id
    with chromium() as browser:
        page = sign_in(new_page(browser), server, "hr1", password="meili-snow-2026", start="/login")
        badge = page.locator("nav .badge")
        assert int(badge.inner_text()) >= 3
        page.click("nav a[href='/notifications']")
        page.wait_for_url("**/notifications")
        assert "续签" in page.content() or "到期" in page.content()
        shot(page, "notifications-after-sweep")
        page.locator("li, tr, article").filter(has_text=reminder.title).first.get_by_role(
            "button", name="查看"
        ).click()
        page.wait_for_url(f"**/contracts/{contract_id}**")
        assert "续签提醒" in page.content()
        shot(page, "contract-with-reminders")
        page.locator("form#renew button[value=renew]").click()
        page.wait_for_load_state()
    with server.db.sessions() as s:
        old = s.get(Contract, contract_id)
        new = s.get(Contract, old.successor_id)
    assert new is not None and new.state == "submitted"
    assert (new.person_id, new.post_id) == (old.person_id, old.post_id)
    assert (new.start_date - old.end_date).days == 1
