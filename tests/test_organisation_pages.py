"""The register of organisations in the browser: HR and the admin register, find, open and edit
an organisation; errors name the field; the bank account never leaves the server unmasked."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from store.models import Organisation, User

from .builders import add_admin, county
from .builders_orgs import credit_code
from .page_support import sign_in

BANK = "6217000012345678901"


@pytest.fixture
def c(db):
    db.clock.current = datetime(2026, 10, 1, 10, 0)
    county_ = county(db)
    add_admin(db)
    return county_


def _form(c, **over):
    fields = {
        "name": "阿东村集体经济合作社帮扶车间",
        "kind": "workshop",
        "credit_code": credit_code("N2"),
        "recognised": "1",
        "recognition_doc_no": "德人社发〔2026〕12号",
        "recognised_on": "2026-06-01",
        "village_id": str(c.village),
        "bank_account": BANK,
        "contact_name": "格桑",
        "contact_phone": "13812345678",
        "agent_ids": [str(c.agent.user_id)],
    }
    return {k: v for k, v in {**fields, **over}.items() if v is not None}


def _register(browser, c, **over):
    return browser.submit("/organisations/new", "/organisations", _form(c, **over))


def test_hr_registers_a_workshop_and_finds_it_in_the_list(db, c):
    hr = sign_in(db, "hr1")
    assert 'href="/organisations"' in hr.get("/inbox").text  # in the menu
    r = _register(hr, c)
    assert r.status_code == 303
    org_id = int(re.search(r"/organisations/(\d+)\?done=registered", r.headers["location"])[1])
    page = hr.get(f"/organisations/{org_id}").text
    assert "德人社发〔2026〕12号" in page and "2026-06-01" in page
    assert "****8901" in page and BANK not in page
    assert "agent1（agent1）" in page and "变更记录" in page
    listed = hr.get("/organisations?q=集体经济&kind=workshop").text
    assert "阿东村集体经济合作社帮扶车间" in listed and BANK not in listed
    assert "阿东村集体经济合作社帮扶车间" not in hr.get("/organisations?kind=enterprise").text
    with db.sessions() as s:
        assert s.get(User, c.agent.user_id).org_id == org_id
        assert s.get(Organisation, org_id).recognised


def test_a_refused_form_names_each_field_and_keeps_what_was_typed_but_the_account(db, c):
    hr = sign_in(db, "hr1")
    r = _register(
        hr, c, credit_code="B1533422MA00000019", recognised_on="", contact_phone="x", name="试错车间"
    )
    assert r.status_code == 422
    page = r.text
    assert "请更正标出的项目" in page
    assert 'id="e-credit_code"' in page and "登记管理部门代码" in page
    assert 'id="e-recognised_on"' in page and "认定日期" in page
    assert 'id="e-contact_phone"' in page
    assert 'value="试错车间"' in page and BANK not in page
    with db.sessions() as s:
        assert s.query(Organisation).filter_by(name="试错车间").count() == 0


def test_a_date_that_cannot_be_read_is_refused_naming_the_field(db, c):
    r = _register(sign_in(db, "hr1"), c, recognised_on="2026-02-30")
    assert r.status_code == 422 and 'id="e-recognised_on"' in r.text


def test_the_admin_edits_and_the_page_shows_old_and_new_with_the_account_masked(db, c):
    r = _register(sign_in(db, "hr1"), c, recognised=None, recognition_doc_no=None, recognised_on=None)
    org_id = int(r.headers["location"].split("/")[2].split("?")[0])
    admin_browser = sign_in(db, "admin1")
    edit_page = admin_browser.get(f"/organisations/{org_id}/edit").text
    assert "****8901" in edit_page and BANK not in edit_page
    db.clock.current = datetime(2026, 10, 1, 10, 30)  # within the sign-in session
    r = admin_browser.submit(
        f"/organisations/{org_id}/edit",
        f"/organisations/{org_id}",
        _form(
            c,
            credit_code=None,
            recognition_doc_no="德人社发〔2026〕20号",
            recognised_on="2026-09-01",
            bank_account="6217000000000002222",
            agent_ids=[],
        ),
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=edited")
    page = admin_browser.get(f"/organisations/{org_id}").text
    history = page[page.index('id="history"') :]
    assert "2026-10-01 10:30" in history and "管理员" in history
    for shown in ("认定文件文号", "德人社发〔2026〕20号", "****8901", "****2222", "agent1（agent1）"):
        assert shown in history
    assert "6217000000000002222" not in page
    with db.sessions() as s:
        assert s.get(User, c.agent.user_id).org_id is None


@pytest.mark.parametrize("username", ["village1", "finance1"])
def test_a_village_verifier_or_finance_can_neither_see_nor_change_the_register(db, c, username):
    browser = sign_in(db, username)
    assert 'href="/organisations"' not in browser.get("/inbox").text
    for path in (
        "/organisations",
        "/organisations/new",
        f"/organisations/{c.org}",
        f"/organisations/{c.org}/edit",
    ):
        assert browser.get(path).status_code == 403, path
    token = re.search(r'name="_csrf_token" value="([^"]+)"', browser.get("/inbox").text)[1]
    fields = {**_form(c), "_csrf_token": token}
    assert browser.client.post("/organisations", data=fields, follow_redirects=False).status_code == 403
    assert (
        browser.client.post(f"/organisations/{c.org}", data=fields, follow_redirects=False).status_code == 403
    )
    with db.sessions() as s:
        assert s.get(Organisation, c.org).name == "德钦劳务经纪人扎西"
        assert s.query(Organisation).count() == 2
