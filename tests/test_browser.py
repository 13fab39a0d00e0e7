"""Real pages in a real browser: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import pytest

from store.db import Database

from .browser_support import needs_chromium, open_as, shot
from .builders import county, export_claim, person
from .live_server import live_server

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server():
    """A county of two villages with claims waiting in the first, built for these tests."""
    made: dict[str, list[int]] = {}

    def prepare(db: Database) -> None:
        c = county(db)
        made["submitted"] = [export_claim(db, c, person(db, c.village, name=f"卓玛{i}")).id for i in range(4)]

    with live_server(prepare=prepare) as live:
        live.claims = made["submitted"]  # type: ignore[attr-defined]
        yield live


def submitted_claim_of(server, nth=0):
    """A claim submitted in village1's village by agent1, waiting for verification."""
    return server.claims[nth]


def test_verifier_verifies_then_hr_approves_and_other_village_cannot_see_it(server, browser):
    claim_id = submitted_claim_of(server)
    page = open_as(browser, server, "village1")
    shot(page, "inbox-village")
    page.click(f"a[href='/claims/{claim_id}'] >> nth=0")
    page.wait_for_url(f"**/claims/{claim_id}")
    shot(page, "case-before-verify")
    page.click("button[value=verify]")
    page.wait_for_selector("text=已办理")
    assert "村级已核实" in page.inner_text("h1")
    page.context.close()

    hr = open_as(browser, server, "hr1")
    shot(hr, "inbox-hr")
    hr.goto(f"{server.url}/claims/{claim_id}")
    hr.click("button[value=approve]")
    hr.wait_for_selector("text=已办理")
    assert "人社已审核" in hr.inner_text("h1")
    shot(hr, "case-approved")
    hr.goto(f"{server.url}/dashboard")
    shot(hr, "dashboard")
    hr.context.close()

    other = open_as(browser, server, "village2")
    response = other.goto(f"{server.url}/claims/{claim_id}")
    assert response.status == 404
    other.context.close()


def test_a_form_posted_without_its_csrf_token_is_refused(server, browser):
    claim_id = submitted_claim_of(server, nth=1)
    page = open_as(browser, server, "village1")
    page.goto(f"{server.url}/claims/{claim_id}")
    page.evaluate("document.querySelector('form.act input[name=_csrf_token]').remove()")
    with page.expect_response(f"**/claims/{claim_id}/act") as answer:
        page.click("button[value=verify]")
    assert answer.value.status == 403
    page.goto(f"{server.url}/claims/{claim_id}")
    assert "已提交" in page.inner_text("h1")
    page.context.close()


def test_a_second_tab_acting_on_the_same_claim_gets_the_conflict_message(server, browser):
    claim_id = submitted_claim_of(server, nth=2)
    first = open_as(browser, server, "village1")
    second = first.context.new_page()
    first.goto(f"{server.url}/claims/{claim_id}")
    second.goto(f"{server.url}/claims/{claim_id}")
    first.click("button[value=verify]")
    first.wait_for_selector("text=已办理")
    second.fill("textarea[name=comment]", "材料不全")
    second.click("button[value=return]")
    second.wait_for_selector("[role=alert]")
    assert "已被其他人处理或修改" in second.inner_text("[role=alert]")
    shot(second, "case-conflict")
    first.context.close()


def test_the_inbox_works_on_a_phone(server, browser):
    page = open_as(browser, server, "village1", viewport=(390, 844))
    shot(page, "inbox-phone")
    assert page.locator("table.list tbody tr").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
    page.context.close()
