"""The dashboard in a real browser at a phone's width (390 × 844) and a desktop's (1366 × 768):
the page never scrolls sideways, every chart is drawn at a scale whose labels stay legible (a
chart wider than the phone scrolls in its own box instead of shrinking), and the figures'
tables keep their column names. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from store.contracts.lifecycle import renew_contract
from store.db import Database
from workflow.clock import FrozenClock

from .browser_support import needs_chromium, open_as, shot
from .builders import claim_in, county, export_claim, person
from .builders_posts import active_contract
from .live_server import live_server

pytestmark = needs_chromium
SIZE = 12  # web.charts.svg.SIZE: the labels' size as drawn


@pytest.fixture(scope="module")
def server():
    """A county with claims in several states, money approved and paid, and a contract ending
    soon whose renewal is only proposed."""

    def prepare(db: Database) -> None:
        c = county(db)
        for i in range(3):
            export_claim(db, c, person(db, c.village, name=f"卓玛{i}"))
        export_claim(db, c, person(db, c.other_village, name="次仁"))
        claim_in(db, c, "hr_reviewed")
        claim_in(db, c, "finance_paid")
        ending = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="格桑")
        renew_contract(db, c.hr, ending.id)

    with live_server(prepare=prepare, clock=FrozenClock(datetime(2026, 11, 28, 10))) as live:
        yield live


CHARTS = """[...document.querySelectorAll('svg.chart')].map(s => {
  const shown = s.getBoundingClientRect().width, drawn = s.viewBox.baseVal.width;
  const box = s.closest('.chart-box');
  return {title: s.getAttribute('aria-label'), scale: shown / drawn, drawn,
          boxed: !!box, scrolls: box ? box.scrollWidth > box.clientWidth : false};
})"""


@pytest.mark.parametrize(("viewport", "name"), [((390, 844), "phone"), ((1366, 768), "desktop")])
def test_the_dashboards_charts_are_legible_at_a_phones_width_and_a_desktops(server, browser, viewport, name):
    page = open_as(browser, server, "hr1", viewport=viewport)
    page.goto(f"{server.url}/dashboard")
    shot(page, f"dashboard-{name}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport[0], f"the page scrolls sideways ({width}px on {viewport[0]}px)"
    charts = page.evaluate(CHARTS)
    assert len(charts) >= 12
    for chart in charts:
        assert chart["boxed"], chart
        # Labels between 10.8px and 15.6px whatever the screen: never shrunk to a smudge.
        assert 0.89 <= chart["scale"] <= 1.31, chart
        assert chart["scale"] * SIZE >= 10.5, chart
        if not chart["scrolls"]:
            continue
        assert name == "phone", chart  # a desktop card holds every chart
    if name == "phone":
        # The trend keeps its column names; a row of the households or contracts says what it is.
        assert page.locator("#trend thead").is_visible()
        assert page.locator("#trend th").first.inner_text() == "月份"
    assert "续签待审" in page.inner_text("#ending ~ article")
    assert page.locator("p.export a[href='/exports/dashboard']").count() == 1
    page.context.close()


def test_a_verifier_on_a_phone_sees_their_village_and_can_export_it(server, browser):
    page = open_as(browser, server, "village1", viewport=(390, 844))
    page.goto(f"{server.url}/dashboard")
    assert "范围：阿东村" in page.inner_text(".dash-head")
    with page.expect_download() as download:
        page.click("p.export a")
    assert download.value.suggested_filename.startswith("统计-20261128")
    shot(page, "dashboard-phone-village")
    page.context.close()
