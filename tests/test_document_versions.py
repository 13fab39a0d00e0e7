"""One number per document version: HR's and the agent's downloads of an unchanged 审批表 are
the same numbered document (/verify: genuine); a changed claim gets a new number and the old
one verifies as superseded; downloads at once of an unchanged document share one number. Every
kind through its real download routes, as two roles: the 不予批准通知 (HR, the agent API, the
portal), the 协议 and the 到期提醒 (HR and the village, and days later), and the 发放花名册 asked
for again by two finance clerks (a new number only once a line failed)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from store.documents.issuing import context_hash, issue
from store.documents.models import Document
from store.documents.register import verify
from store.models import Claim, Contract
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


# --- every document kind, through the real download routes, as two roles ------------------------

ANY_STAMP = re.compile(r"德人社[审协提驳发]〔2026〕\d{6}")


def any_stamp(pdf: bytes) -> tuple[str, str]:
    text = re.sub(r"\s+", "", pdf_text(pdf))
    number, code = ANY_STAMP.search(text), re.search(r"/verify/([A-Z2-7]{16})", text)
    assert number and code, text[-400:]
    return number.group(0), code.group(1)


def count_of(db, kind: str, subject_id: int) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).where(Document.subject_id == subject_id, Document.kind == kind))


def rename(db, model, subject_id: int, name: str) -> None:  # type: ignore[no-untyped-def]
    """A real change of what a document shows: the name of the claim's or contract's person."""
    with db.transaction() as s:
        s.get_one(model, subject_id).person.name = name


def same_document(db, kind: str, subject_id: int, downloads) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Every download (role by role, then again) is the same numbered document, byte for byte."""
    first = None
    for get in [*downloads, *downloads]:
        r = get()
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text[:300]
        if first is None:
            first = r.content
        assert r.content == first
    assert count_of(db, kind, subject_id) == 1
    stamp = any_stamp(first)
    assert verify(db, stamp[1]).status == "genuine"
    return stamp


def test_a_rejection_notice_is_one_number_for_hr_the_agent_api_and_the_portal(db, tmp_path):
    from .portal_support import signed_in

    with api_client(db, tmp_path) as api:
        claim = claim_in(db, api.county, "rejected")
        hr, portal = sign_in(db, "hr1"), signed_in(db, tmp_path, "agent1")
        url = f"/claims/{claim.id}/documents/rejection_notice"
        same_document(
            db,
            "rejection_notice",
            claim.id,
            [
                lambda: hr.get(url),
                lambda: api.get(f"/api/v1{url}"),
                lambda: portal.get(f"/agent{url}"),
            ],
        )


def test_the_portals_approval_form_is_hrs_printed_one(db, tmp_path):
    from .portal_support import signed_in

    with api_client(db, tmp_path) as api:
        claim = claim_in(db, api.county, "hr_reviewed")
        hr, portal = sign_in(db, "hr1"), signed_in(db, tmp_path, "agent1")
        url = f"/claims/{claim.id}/documents/approval_form"
        number, code = same_document(
            db, "approval_form", claim.id, [lambda: hr.get(url), lambda: portal.get(f"/agent{url}")]
        )
        assert "真实有效" in hr.get(f"/verify/{code}").text
        rename(db, Claim, claim.id, "卓玛央宗")  # a name on the form changed: a new version
        new_number, new_code = any_stamp(portal.get(f"/agent{url}").content)
        assert new_number > number and verify(db, code).status == "superseded"
        assert any_stamp(hr.get(url).content) == (new_number, new_code)


@pytest.mark.parametrize("kind", ["contract", "renewal_notice"])
def test_a_contract_document_is_one_number_for_hr_and_the_village_until_it_changes(db, c, clock, kind):
    from datetime import date

    from .builders_posts import active_contract

    contract = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20))
    url = f"/contracts/{contract.id}/documents/{kind}"
    hr, village = sign_in(db, "hr1"), sign_in(db, "village1")
    number, code = same_document(db, kind, contract.id, [lambda: hr.get(url), lambda: village.get(url)])
    printed = hr.get(url).content

    # Days later the document is the same one: a renewal notice still shows the day it was
    # issued, its days left and the day to reply by as they were then.
    clock.advance(days=3)
    hr, village = sign_in(db, "hr1"), sign_in(db, "village1")  # yesterday's sessions have ended
    assert village.get(url).content == printed and count_of(db, kind, contract.id) == 1
    assert verify(db, code).status == "genuine"

    rename(db, Contract, contract.id, "卓玛央宗")
    new_number, new_code = any_stamp(village.get(url).content)
    assert new_number > number and verify(db, code).status == "superseded"
    assert any_stamp(hr.get(url).content) == (new_number, new_code)
    assert count_of(db, kind, contract.id) == 2


def test_a_roster_asked_for_again_is_the_same_one_until_a_line_fails(db, c, tmp_path, monkeypatch):
    from store.access.users import create_user
    from store.payouts.models import PayoutLine

    from .builders_payouts import give_broker_an_account
    from .test_payout_pages import new_batch, transport_claim

    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    give_broker_an_account(db, c)
    with db.transaction() as s:
        create_user(
            s, db, username="finance2", password="password-123", roles=["finance"], display_name="出纳"
        )
    one, two = sign_in(db, "finance1"), sign_in(db, "finance2")
    batch_id = new_batch(one, [claim_in(db, c, "hr_reviewed").id, transport_claim(db, c)])

    def ask(browser) -> str:  # type: ignore[no-untyped-def]
        r = browser.submit(f"/payouts/{batch_id}", f"/payouts/{batch_id}/roster", {})
        assert r.status_code == 303
        browser.client.app.state.jobs.wait(60)
        download = browser.get(f"/payouts/{batch_id}/roster")
        assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
        return download.content

    printed = ask(one)
    number, code = any_stamp(printed)
    assert ask(two) == printed and ask(one) == printed  # the other clerk's and again: the same one
    assert count_of(db, "payout_roster", batch_id) == 1 and verify(db, code).status == "genuine"

    with db.sessions() as s:
        line = s.scalars(select(PayoutLine).where(PayoutLine.batch_id == batch_id)).first()
    r = two.submit(
        f"/payouts/{batch_id}", f"/payouts/{batch_id}/lines/{line.id}/fail", {"reason": "账户已销户"}
    )
    assert r.status_code == 303
    two.client.app.state.jobs.wait(60)
    changed = one.get(f"/payouts/{batch_id}/roster").content
    new_number, new_code = any_stamp(changed)
    assert new_number > number and verify(db, code).status == "superseded"
    assert ask(one) == changed and ask(two) == changed  # the new version, again the same one
    assert count_of(db, "payout_roster", batch_id) == 2 and verify(db, new_code).status == "genuine"
