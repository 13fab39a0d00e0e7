"""Documents from the pages: a numbered PDF per document version, and the public /verify check."""

from __future__ import annotations

import re
import subprocess

from litestar.testing import TestClient

from web.app import create_app

from .builders import claim_in, county
from .page_support import sign_in


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_case_page_prints_the_approval_form_and_verify_finds_it(db):
    c = county(db)
    claim = claim_in(db, c, "hr_reviewed")
    browser = sign_in(db, "hr2")
    page = browser.get(f"/claims/{claim.id}").text
    assert f"/claims/{claim.id}/documents/approval_form" in page
    r = browser.get(f"/claims/{claim.id}/documents/approval_form")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "审批表" in text and "卓玛" in text and "300.00" in text
    code = re.search(r"/verify/([A-Z2-7]{12,})", text.replace(" ", ""))
    assert code, text[-400:]
    with TestClient(create_app(db, secure_cookies=False)) as anonymous:
        ok = anonymous.get(f"/verify/{code.group(1)}")
        assert ok.status_code == 200 and "真实有效" in ok.text
        assert "卓玛" not in ok.text  # no personal data on the public page
        assert anonymous.get("/verify/NOTAREALCODE1234").status_code == 404


def test_other_village_cannot_print_and_rejection_notice_needs_a_rejection(db):
    c = county(db)
    claim = claim_in(db, c, "submitted")
    assert sign_in(db, "village2").get(f"/claims/{claim.id}/documents/approval_form").status_code == 404
    assert sign_in(db, "village1").get(f"/claims/{claim.id}/documents/rejection_notice").status_code == 422
