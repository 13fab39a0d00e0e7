"""HR reviewers in a real browser: search by name, by the ID number's last digits and by a
pasted whole ID number (never in a URL or the server's log), page forward and back, export
the search to Excel (the whole ID number's search carried as the person found), take a
case, the other reviewer sees who holds it, bulk return with one reason and each outcome;
screenshots at desktop (1366) and phone (390) widths under test-artifacts/screenshots/hr-*."""

from __future__ import annotations

import pytest

from store.db import Database
from store.people.persons import PersonInput, create_person
from store.transitions import transition

from .browser_support import (
    PHONE,
    needs_chromium,
    open_as,
    shot,
)
from .builders import add_admin, county, export_claim, id_number
from .conftest import TEST_NOW

pytestmark = needs_chromium
MANY = 23  # more than a page of results (20)


@pytest.fixture(scope="module")
def server():
    from .live_server import live_server

    made: dict[str, object] = {}

    def prepare(db: Database) -> None:
        c = county(db)
        add_admin(db)
        claims, numbers = [], []
        for i in range(MANY):
            number = id_number()
            with db.transaction() as s:
                pid = create_person(
                    s,
                    db,
                    PersonInput(
                        name=f"央金{i:02d}",
                        id_number=number,
                        village_id=c.village,
                        target_groups=("relocated",),
                        bank_account="6217000000000000123",
                    ),
                ).id
            claim = export_claim(db, c, pid)
            transition(db, "claim", claim.id, "verify", c.verifier)
            claims.append(claim.id)
            numbers.append(number)
        made.update(claims=claims, numbers=numbers)

    with live_server(prepare=prepare) as live:
        live.claims, live.numbers = made["claims"], made["numbers"]  # type: ignore[attr-defined]
        yield live


def search(page, server, text: str) -> None:
    page.goto(f"{server.url}/search")
    page.fill("input[name=q]", text)
    page.click("form.search button.primary")
    page.wait_for_selector("p.found, [role=alert]")


def shown_claims(page) -> list[int]:
    return [
        int(x)
        for x in page.locator("table.results tr[data-claim]").evaluate_all(
            "rows => rows.map(r => r.dataset.claim)"
        )
    ]


def test_hr_searches_by_name_digits_and_whole_id_and_pages_both_ways(server, browser):
    page = open_as(browser, server, "hr1")
    search(page, server, "央金")
    assert "/search?q=" in page.url
    first = shown_claims(page)
    assert len(first) == 20 and first == sorted(server.claims, reverse=True)[:20]
    shot(page, "hr-search-name")
    page.click("a.next")
    page.wait_for_url("**after=*")
    second = shown_claims(page)
    assert second == sorted(server.claims, reverse=True)[20:]
    assert "等待人社局审核" in page.inner_text("table.results")
    page.click("a.prev")
    page.wait_for_url("**before=*")
    assert shown_claims(page) == first

    target = 7
    search(page, server, server.numbers[target][-4:])
    assert server.claims[target] in shown_claims(page)

    number = server.numbers[target]
    search(page, server, f"{number[:6]} {number[6:14]} {number[14:]}")  # pasted with spaces
    assert "/search?person=" in page.url and number not in page.url
    assert shown_claims(page) == [server.claims[target]]
    assert number not in page.content()
    assert "*" * 14 + number[-4:] in page.inner_text("p.found")
    shot(page, "hr-search-id")
    page.goto(f"{server.url}/inbox")  # the inbox's own search is a GET: the browser refuses a whole ID
    page.fill("form.filters input[name=q]", number)
    page.click("form.filters button")
    assert number not in page.url and page.locator("form.filters input[name=q]:invalid").count() == 1
    page.context.close()
    assert number not in server.output(), "the whole ID number reached the server's log"

    phone = open_as(browser, server, "hr1", viewport=PHONE)
    search(phone, server, "央金")
    shot(phone, "hr-search-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0] + 10, f"the search page scrolls sideways on a phone ({width}px)"
    phone.context.close()


def test_hr_exports_a_search_and_a_whole_ids_search_never_puts_the_number_in_the_link(server, browser):
    from openpyxl import load_workbook

    def claims_sheet(download):  # type: ignore[no-untyped-def]
        with open(download.path(), "rb") as f:  # a download's file has no .xlsx on its name
            return load_workbook(f)["补贴申请"]

    phone = open_as(browser, server, "hr1", viewport=PHONE)
    search(phone, server, "央金")
    shot(phone, "hr-search-export-phone")
    with phone.expect_download() as download:
        phone.click("p.export a")
    # Named by the server's clock (the suite's moment, never today).
    assert download.value.suggested_filename.startswith(f"查找结果-{TEST_NOW:%Y%m%d}")
    sheet = claims_sheet(download.value)
    assert sum(1 for row in sheet.iter_rows(values_only=True) if row[0] in server.claims) == MANY
    phone.context.close()

    number = server.numbers[5]
    page = open_as(browser, server, "hr1")
    search(page, server, number)
    link = page.get_attribute("p.export a", "href")
    assert link.startswith("/exports/search?") and "person=" in link and number not in link
    shot(page, "hr-search-export-id")
    with page.expect_download() as download:
        page.click("p.export a")
    assert number not in download.value.url
    sheet = claims_sheet(download.value)
    titles = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert f"查找：央金05（身份证号 {'*' * 14 + number[-4:]}）的全部记录" in titles
    page.context.close()
    assert number not in server.output(), "the whole ID number reached the server's log"


def test_a_case_taken_by_one_reviewer_shows_the_other_who_holds_it(server, browser):
    claim_id = server.claims[0]
    hr2 = open_as(browser, server, "hr2")
    hr2.goto(f"{server.url}/claims/{claim_id}")  # open before hr1 takes it: its buttons still show
    hr1 = open_as(browser, server, "hr1")
    hr1.goto(f"{server.url}/claims/{claim_id}")
    assert "尚无人认领" in hr1.inner_text("#hold")
    hr1.click("#hold button[value=take]")
    hr1.wait_for_selector("[data-holder]")
    assert "hr1" in hr1.inner_text("#hold")
    shot(hr1, "hr-claim-held")
    hr1.context.close()

    hr2.fill("textarea[name=comment]", "材料不全")
    hr2.click("button[value=return]")
    hr2.wait_for_selector("[role=alert]")
    assert "已由hr1" in hr2.inner_text("[role=alert]")
    assert "只有认领人可以办理" in hr2.inner_text("#hold")
    assert hr2.locator("form.act").count() == 0  # no buttons while another holds it
    shot(hr2, "hr-claim-refused")
    hr2.goto(f"{server.url}/inbox")
    row = hr2.locator(f"tr:has(a[href='/claims/{claim_id}'])")
    assert row.locator("td.holder").inner_text() == "hr1"
    shot(hr2, "hr-inbox-holders")
    hr2.context.close()

    phone = open_as(browser, server, "hr2", viewport=PHONE)
    phone.goto(f"{server.url}/claims/{claim_id}")
    shot(phone, "hr-claim-held-phone")
    phone.goto(f"{server.url}/inbox?held=free")
    shot(phone, "hr-inbox-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0] + 10, f"the inbox scrolls sideways on a phone ({width}px)"
    phone.context.close()


def test_hr_returns_several_with_one_reason_and_sees_each_outcome(server, browser):
    held_by_hr1 = server.claims[0]  # taken in the test above
    chosen = [server.claims[1], server.claims[2], held_by_hr1]
    page = open_as(browser, server, "hr2")
    for claim_id in chosen:
        page.check(f"input[name=ids][value='{claim_id}']")
    page.fill(".bulk input[name=comment]", "请补充务工收入证明")
    page.click(".bulk button[value=return]")
    page.wait_for_selector("table.outcomes")
    oks = {
        int(r.get_attribute("data-claim")): r.get_attribute("data-ok")
        for r in page.locator("table.outcomes tr[data-claim]").all()
    }
    assert oks == {server.claims[1]: "yes", server.claims[2]: "yes", held_by_hr1: "no"}
    assert "请补充务工收入证明" in page.inner_text("p.reason")
    assert "已由hr1" in page.inner_text(f"tr[data-claim='{held_by_hr1}']")
    shot(page, "hr-bulk-result")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    shot(page, "hr-bulk-result-phone")
    page.context.close()


def test_the_head_assigns_a_case_and_the_reviewer_sees_it_as_theirs(server, browser):
    claim_id = server.claims[3]
    head = open_as(browser, server, "admin1")
    head.goto(f"{server.url}/inbox?held=free")
    head.check(f"input[name=ids][value='{claim_id}']")
    head.select_option(".bulk select[name=assignee]", label="hr2")
    shot(head, "hr-head-inbox")
    head.click(".bulk button[formaction='/inbox/hold/assign']")
    head.wait_for_selector("table.outcomes")
    assert head.locator(f"tr[data-claim='{claim_id}']").get_attribute("data-ok") == "yes"
    head.context.close()
    hr2 = open_as(browser, server, "hr2")
    hr2.goto(f"{server.url}/inbox?held=mine")
    assert hr2.locator("td.holder").all_inner_texts() == ["我"]
    hr2.goto(f"{server.url}/claims/{claim_id}")
    assert "由管理员分派" in hr2.inner_text("#hold")
    shot(hr2, "hr-claim-assigned")
    hr2.context.close()
