"""One number per document version: HR's and the agent's downloads of an unchanged 审批表 are
the same numbered document (/verify: genuine); a changed claim gets a new number and the old
one verifies as superseded; downloads at once of an unchanged document share one number."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from store.documents.issuing import context_hash, issue
from store.documents.models import Document
from store.documents.register import verify
from store.transitions import transition

from .api_support import api_client
from .builders import claim_in, county
from .builders_payouts import pay_through_batch
from .page_support import sign_in
from .test_document_pages import pdf_text

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


def stamp_of(pdf: bytes) -> tuple[str, str]:
    """The number and verification code printed on a PDF, read back with pdftotext."""
    text = re.sub(r"\s+", "", pdf_text(pdf))
    number = re.search(r"德人社审〔2026〕\d{6}", text)
    code = re.search(r"/verify/([A-Z2-7]{16})", text)
    assert number and code, text[-400:]
    return number.group(0), code.group(1)


def numbers_of(db, claim_id: int) -> int:
    with db.sessions() as s:
        return s.scalar(
            select(func.count()).where(Document.subject_id == claim_id, Document.kind == "approval_form")
        )


def test_hr_and_the_agent_get_the_same_form_until_the_claim_changes(db, tmp_path):
    with api_client(db, tmp_path) as api:
        claim = claim_in(db, api.county, "hr_reviewed")
        hr = sign_in(db, "hr1")
        printed = hr.get(f"/claims/{claim.id}/documents/approval_form")
        assert printed.status_code == 200
        number, code = stamp_of(printed.content)

        agents = api.get(f"/api/v1/claims/{claim.id}/documents/approval_form")
        assert agents.status_code == 200
        assert stamp_of(agents.content) == (number, code)
        assert agents.content == printed.content  # the same bytes, so the same hash
        again = hr.get(f"/claims/{claim.id}/documents/approval_form")
        assert again.content == printed.content
        assert numbers_of(db, claim.id) == 1
        assert verify(db, code).status == "genuine"
        page = hr.get(f"/verify/{code}")
        assert "真实有效" in page.text and "已被更新的文书取代" not in page.text

        # The claim is paid: the form shows it, so it is a new version with a new number.
        pay_through_batch(db, api.county.finance, claim.id)
        paid = api.get(f"/api/v1/claims/{claim.id}/documents/approval_form")
        new_number, new_code = stamp_of(paid.content)
        assert (new_number, new_code) != (number, code) and new_number > number
        assert verify(db, code).status == "superseded"
        assert "已被更新的文书取代" in hr.get(f"/verify/{code}").text
        assert verify(db, new_code).status == "genuine"
        assert stamp_of(hr.get(f"/claims/{claim.id}/documents/approval_form").content) == (
            new_number,
            new_code,
        )
        assert numbers_of(db, claim.id) == 2


def test_an_approved_amount_is_a_new_version(db, tmp_path):
    c = county(db)
    claim = claim_in(db, c, "village_verified")
    pending = issue(db, c.agent, "approval_form", claim.id)
    assert issue(db, c.hr, "approval_form", claim.id).number == pending.number
    transition(db, "claim", claim.id, "approve", c.hr)
    approved = issue(db, c.hr, "approval_form", claim.id)
    assert approved.number != pending.number and approved.sha256 != pending.sha256
    assert (verify(db, pending.code).status, verify(db, approved.code).status) == ("superseded", "genuine")
    again = issue(db, c.agent, "approval_form", claim.id)
    assert (again.number, again.code, again.sha256) == (approved.number, approved.code, approved.sha256)


def test_downloads_at_once_of_an_unchanged_form_issue_one_number(db, monkeypatch):
    from store.documents import issuing

    c = county(db)
    claim = claim_in(db, c, "hr_reviewed")
    actors = [c.hr, c.agent, c.hr2, c.agent]
    # All four read the context, then ask the register at the same moment.
    together = threading.Barrier(len(actors))

    def reserve(*args, **kwargs):  # type: ignore[no-untyped-def]
        together.wait(timeout=30)
        return real_reserve(*args, **kwargs)

    real_reserve = issuing.reserve
    monkeypatch.setattr(issuing, "reserve", reserve)
    with ThreadPoolExecutor(max_workers=len(actors)) as pool:
        issued = list(pool.map(lambda actor: issue(db, actor, "approval_form", claim.id), actors))
    assert len({(i.number, i.code, i.sha256) for i in issued}) == 1
    assert numbers_of(db, claim.id) == 1
    assert verify(db, issued[0].code).status == "genuine"


def test_the_version_is_the_context_not_the_moment():
    from datetime import date
    from decimal import Decimal

    one = {"amount": Decimal("300.00"), "on": date(2026, 11, 28), "facts": [("务工地点", "省外")]}
    assert context_hash("approval_form", one) == context_hash("approval_form", dict(reversed(one.items())))
    assert context_hash("approval_form", one) != context_hash(
        "approval_form", {**one, "amount": Decimal("301")}
    )
    assert context_hash("approval_form", one) != context_hash("rejection_notice", one)
