"""Staff pages on the server: sign-in, inbox scope, the case page and its steps, CSRF."""

from __future__ import annotations

from .builders import claim_in, export_claim, person
from .page_support import csrf_of, sign_in


def test_anonymous_visitors_are_sent_to_sign_in(db, c):
    from litestar.testing import TestClient

    from web.app import create_app

    with TestClient(create_app(db, secure_cookies=False)) as client:
        r = client.get("/inbox", follow_redirects=False)
        assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")


def test_wrong_password_then_a_wait(db, c):
    from litestar.testing import TestClient

    from web.app import create_app

    with TestClient(create_app(db, secure_cookies=False)) as client:
        for _ in range(5):
            token = csrf_of(client.get("/login").text)
            r = client.post("/login", data={"username": "hr1", "password": "wrong-one", "_csrf_token": token})
            assert r.status_code == 401 and "用户名或密码不正确" in r.text, (r.url, r.text[:300])
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"username": "hr1", "password": "password-123", "_csrf_token": token})
        # From the same address the right password now waits too (tests/test_sign_in_throttle.py).
        assert r.status_code == 429 and "过于频繁" in r.text and r.headers["retry-after"] == "30"


def test_a_form_without_its_csrf_token_is_refused(db, c):
    browser = sign_in(db, "village1")
    claim = export_claim(db, c, person(db, c.village))
    r = browser.client.post(f"/claims/{claim.id}/act", data={"trigger": "verify"})
    assert r.status_code == 403
    assert browser.get(f"/claims/{claim.id}").text.count("已提交") >= 1


def test_verifier_sees_own_village_and_verifies_from_the_case_page(db, c):
    mine = export_claim(db, c, person(db, c.village, name="卓玛"))
    theirs = export_claim(db, c, person(db, c.other_village, name="拉姆"))
    browser = sign_in(db, "village1")
    inbox = browser.get("/inbox").text
    assert "卓玛" in inbox and "拉姆" not in inbox
    assert browser.get(f"/claims/{theirs.id}").status_code == 404
    page = browser.get(f"/claims/{mine.id}").text
    assert "核实通过" in page and "审核通过" not in page
    r = browser.submit(
        f"/claims/{mine.id}", f"/claims/{mine.id}/act", {"trigger": "verify", "version": mine.version}
    )
    assert r.status_code == 303
    assert "村级已核实" in browser.get(f"/claims/{mine.id}").text


def test_second_tab_acting_on_a_changed_claim_gets_the_conflict_message(db, c):
    claim = export_claim(db, c, person(db, c.village))
    browser = sign_in(db, "village1")
    page = browser.get(f"/claims/{claim.id}").text
    token = csrf_of(page)
    first = browser.client.post(
        f"/claims/{claim.id}/act",
        follow_redirects=False,
        data={"trigger": "verify", "version": claim.version, "_csrf_token": token},
    )
    assert first.status_code == 303
    second = browser.client.post(
        f"/claims/{claim.id}/act",
        data={"trigger": "return", "comment": "x", "version": claim.version, "_csrf_token": token},
    )
    assert second.status_code == 409
    assert "已被其他人处理或修改" in second.text


def test_return_without_a_comment_says_why(db, c):
    claim = export_claim(db, c, person(db, c.village))
    browser = sign_in(db, "village1")
    r = browser.submit(
        f"/claims/{claim.id}", f"/claims/{claim.id}/act", {"trigger": "return", "version": claim.version}
    )
    assert r.status_code == 403 and "必须填写意见" in r.text


def test_hr_bulk_approves_each_case_on_its_own(db, c):
    ok = claim_in(db, c, "village_verified")
    not_ready = claim_in(db, c, "submitted")
    browser = sign_in(db, "hr1")
    assert "审核通过" in browser.get("/inbox").text
    token = csrf_of(browser.get("/inbox").text)
    r = browser.client.post(
        "/inbox/bulk",
        data={"trigger": "approve", "ids": [str(ok.id), str(not_ready.id)], "_csrf_token": token},
    )
    assert r.status_code == 200
    assert "成功 1" in r.text and "未成功 1" in r.text


def test_sign_out_ends_the_session(db, c):
    browser = sign_in(db, "hr1")
    assert browser.get("/inbox").status_code == 200
    r = browser.submit("/inbox", "/logout", {})
    assert r.status_code == 303
    assert browser.get("/inbox", follow_redirects=False).status_code in (302, 303, 307)


def test_english_can_be_chosen(db, c):
    browser = sign_in(db, "hr1")
    browser.get("/lang/en")
    assert 'lang="en"' in browser.get("/inbox").text


def test_staff_open_evidence_of_claims_they_may_see(db, c, tmp_path):
    from litestar.testing import TestClient

    from store.claims.evidence import add_evidence
    from web.app import create_app

    from .page_support import Browser

    claim = export_claim(db, c, person(db, c.village))
    files = tmp_path / "files"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
    evidence = add_evidence(db, files, c.agent, claim.id, "收入证明.pdf", pdf, "income_proof")

    def browser_for(username):
        client = TestClient(create_app(db, files=files, secure_cookies=False))
        client.__enter__()
        b = Browser(client)
        b.submit("/login", "/login", {"username": username, "password": "password-123"})
        return b

    mine = browser_for("village1")
    assert "收入证明.pdf" in mine.get(f"/claims/{claim.id}").text
    r = mine.get(f"/claims/{claim.id}/evidence/{evidence.id}")
    assert r.status_code == 200 and r.content == pdf
    assert browser_for("village2").get(f"/claims/{claim.id}/evidence/{evidence.id}").status_code == 404


def test_search_by_name_or_id_suffix(db, c):
    from store.models import Person

    export_claim(db, c, person(db, c.village, name="格桑卓玛"))
    export_claim(db, c, person(db, c.village, name="次仁拉姆"))
    with db.sessions() as s:
        last4 = db.vault.tail(s.query(Person.id_number_enc).filter(Person.name == "次仁拉姆").scalar())
    browser = sign_in(db, "village1")
    by_name = browser.get("/inbox", params={"q": "格桑"}).text
    assert "格桑卓玛" in by_name and "次仁拉姆" not in by_name
    by_id = browser.get("/inbox", params={"q": last4}).text
    assert "次仁拉姆" in by_id
    too_broad = browser.get("/inbox", params={"q": "格"}).text
    assert "至少输入两个字" in too_broad
