"""A county starts its own, in a real browser: on an empty database after ``fuzhi setup``, the
first admin signs in, creates the policy year from the plan's figures, imports the villages and
then the persons from workbooks built here, and sees every row's result (desktop and phone)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from store.db import Database
from workflow.clock import FrozenClock
from workflow.identity import mask

from .browser_support import needs_chromium, new_page, shot
from .browser_support import sign_in as sign_in_as
from .builders_imports import PERSON_HEADER, PLACE_HEADER, distinct_ids, person_rows, xlsx
from .live_server import SECRET, live_server

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Baima-snow-1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VILLAGES = [
    ["533422101", "升平镇", "533422101001", "阿东村"],
    ["533422101", "升平镇", "533422101002", "巨水村"],
    [None, "奔子栏镇", "533422102001", "奔子栏村"],
    ["533422102", "奔子栏镇", "533422102002", "书松村"],
]

pytestmark = needs_chromium


def fuzhi_setup(db: Database) -> None:
    """What the county's operator runs on the new database: ``fuzhi setup``."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "setup", "--username", "chief", "--password", PASSWORD],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": str(db.engine.url), "FUZHI_SECRET_KEY": SECRET},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def server():
    """An empty county on 4 January 2027: the migration seeds 2026, so 2027 has no figures."""
    with live_server(prepare=fuzhi_setup, clock=FrozenClock(datetime(2027, 1, 4, 9, 0))) as live:
        yield live


def sign_in(browser, server, viewport=(1366, 768)):
    return sign_in_as(new_page(browser, viewport, accept_downloads=True), server, "chief", password=PASSWORD)


def upload(page, server, kind: str, name: str, content: bytes) -> None:
    page.goto(f"{server.url}/imports")
    page.select_option("select[name=kind]", kind)
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": XLSX, "buffer": content}])
    page.click("button[name=action][value=check]")
    page.wait_for_selector("#result[data-dry-run='1']")


def counts(page) -> dict[str, int]:
    return {
        s: int(page.inner_text(f"[data-count={s}] b")) for s in ("created", "updated", "unchanged", "refused")
    }


def test_the_first_admin_sets_up_the_county_from_an_empty_database(server, browser):
    page = sign_in(browser, server)
    assert "chief（系统管理员）" in page.inner_text("header")
    shot(page, "setup-inbox-empty")
    for path in ("/dashboard", "/contracts", "/organisations", "/admin/settings"):
        assert page.goto(f"{server.url}{path}").status == 200, path

    # the policy year: 2027 has no figures yet, created from the plan's
    page.goto(f"{server.url}/admin/policy")
    assert page.is_visible("[data-missing-year='2027']")
    shot(page, "setup-policy-missing")
    assert page.input_value("#create-year input[name=year]") == "2027"
    page.click("#create-year button")
    page.wait_for_url("**/admin/policy?year=2027&done=created")
    assert "2027年度参数（第1版）" in page.inner_text("#figures h2")
    assert not page.is_visible("[data-missing-year]")
    shot(page, "setup-policy-created")

    # the villages: checked, then loaded
    upload(page, server, "places", "乡镇和行政村.xlsx", xlsx(PLACE_HEADER, VILLAGES))
    assert counts(page) == {"created": 4, "updated": 0, "unchanged": 0, "refused": 0}
    assert page.inner_text("#rows tr[data-row='2'] .shown") == "升平镇 阿东村 533422101001"
    shot(page, "setup-places-checked")
    page.click("#load")
    page.wait_for_selector("#result[data-dry-run='0']")
    assert counts(page)["created"] == 4 and "已导入" in page.inner_text("p.ok")

    # the persons: two good rows, one of a village not imported, one with a wrong check digit
    ids = distinct_ids(3, first=datetime(1985, 6, 1).date())
    rows = person_rows(ids[:2]) + person_rows(ids[2:], village="533422109001")
    rows.append(
        ["次仁", ids[0][:-1] + ("1" if ids[0][-1] != "1" else "2"), "533422102002", None, None, None, None]
    )
    upload(page, server, "persons", "人员名单.xlsx", xlsx(PERSON_HEADER, rows))
    assert counts(page) == {"created": 2, "updated": 0, "unchanged": 0, "refused": 2}
    refused = page.locator("#rows tr[data-status=refused]")
    assert refused.count() == 2
    assert "行政村代码“533422109001”不存在" in page.inner_text("#rows tr[data-row='4']")
    assert "身份证号" in page.inner_text("#rows tr[data-row='5'] [data-column]")
    assert page.inner_text("#rows tr[data-row='2'] .shown") == f"扎西0 {mask(ids[0], tail=0)} 533422101001"
    assert not any(number in page.content() for number in ids)
    shot(page, "setup-persons-checked")
    page.click("#load")
    page.wait_for_selector("#result[data-dry-run='0']")
    assert counts(page) == {"created": 2, "updated": 0, "unchanged": 0, "refused": 2}
    shot(page, "setup-persons-loaded")
    with page.expect_download() as download:
        page.click("a[href$='/result.xlsx']")
    wb = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    body = list(wb["处理结果"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in body[:2]] == [mask(ids[0], tail=0), mask(ids[1], tail=0)]  # no tail kept at rest
    assert [r[-6] for r in body] == ["已新增", "已新增", "未导入", "未导入"]

    page.click("#rows tr[data-row='2'] a")  # the person registered
    page.wait_for_url("**/persons/*")
    assert ids[0][-4:] in page.inner_text("dl") and ids[0] not in page.content()  # masked
    page.context.close()


def test_the_import_pages_on_a_phone(server, browser):
    phone = sign_in(browser, server, viewport=(390, 844))
    phone.goto(f"{server.url}/imports")
    shot(phone, "setup-imports-phone")
    latest = phone.locator("#recent tbody tr a").first
    latest.click()
    phone.wait_for_selector("#result")
    shot(phone, "setup-result-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # nothing wider than the phone
    phone.goto(f"{server.url}/admin/policy")
    shot(phone, "setup-policy-phone")
    phone.context.close()
