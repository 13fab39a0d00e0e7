"""The agents' own pages (/agent): signing in lands there, staff pages stay refused, the claims
of their organisation only (filters, pages, states, deadlines), each claim's page, withdrawing,
resubmitting a returned claim with corrected facts, evidence and the claim's documents."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.claims import submit_claim
from store.models import Claim, ClaimHistory, Evidence
from store.transitions import transition
from web.portal import claims as portal_claims
from web.portal.forms import WAIT_NAMES, WAITING

from .builders import claim_in, export_claim, person
from .builders_posts import active_contract, committee_clerk, month_claim, on
from .page_support import sign_in
from .portal_support import signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def claim_of(db, claim_id: int) -> Claim:
    with db.sessions() as s:
        return s.get_one(Claim, claim_id)


def triggers(db, claim_id: int) -> list[str]:
    with db.sessions() as s:
        return list(
            s.scalars(
                select(ClaimHistory.trigger)
                .where(ClaimHistory.claim_id == claim_id)
                .order_by(ClaimHistory.id)
            )
        )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_agent_lands_on_their_claims_and_staff_pages_stay_refused(db, c, tmp_path):
    agent = signed_in(db, tmp_path, "agent1")
    assert agent.landed == "/agent/claims"  # type: ignore[attr-defined]
    assert agent.get("/", follow_redirects=False).headers["location"] == "/agent/claims"
    page = agent.get("/agent/claims")
    assert page.status_code == 200 and "德钦劳务经纪人扎西" in page.text
    assert 'href="/agent/lists"' in page.text and 'href="/inbox"' not in page.text  # their own nav
    refused = agent.get("/inbox", follow_redirects=False)
    assert refused.status_code == 403 and 'href="/"' in refused.text  # back to their own start
    # A page they wanted before signing in is where they go, if it is theirs.
    again = signed_in(db, tmp_path, "agent1")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', again.get("/login").text).group(1)  # type: ignore[union-attr]
    r = again.client.post(
        "/login",
        data={"username": "agent1", "password": "password-123", "next": "/agent/lists", "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/agent/lists"
    r = again.client.post(
        "/login",
        data={"username": "agent1", "password": "password-123", "next": "/payouts", "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/agent/claims"
    staff = sign_in(db, "hr1")
    assert staff.get("/", follow_redirects=False).headers["location"] == "/inbox"
    assert staff.get("/agent/claims", follow_redirects=False).status_code == 403
    anonymous = agent.client.__class__(agent.client.app)
    with anonymous:
        assert anonymous.get("/agent/claims", follow_redirects=False).headers["location"].startswith("/login")


def test_a_committee_clerk_who_also_verifies_lands_on_the_inbox_and_has_both_menus(db, c, tmp_path):
    from store.access.users import create_user
    from store.models import Organisation

    with db.transaction() as s:
        org = Organisation(name="阿东村民委员会", kind="village_committee", village_id=c.village)
        s.add(org)
        s.flush()
        create_user(
            s,
            db,
            username="both",
            password="password-123",
            roles=["agent", "village"],
            org_id=org.id,
            village_ids=[c.village],
        )
    both = signed_in(db, tmp_path, "both")
    assert both.landed == "/inbox"  # type: ignore[attr-defined]
    inbox = both.get("/inbox")
    assert (
        inbox.status_code == 200
        and 'href="/agent/claims"' in inbox.text
        and 'href="/contracts"' in inbox.text
    )
    assert both.get("/agent/claims").status_code == 200
    assert both.get("/agent", follow_redirects=False).headers["location"] == "/agent/claims"


def test_the_claims_page_lists_the_organisations_claims_only_with_state_and_deadline(db, c, tmp_path):
    mine = [export_claim(db, c, person(db, c.village, name=f"卓玛{i}")) for i in range(3)]
    returned = claim_in(db, c, "returned")
    theirs = export_claim(db, c, person(db, c.village, name="次仁"), agent=c.other_agent)
    page = signed_in(db, tmp_path, "agent1").get("/agent/claims")
    shown = [int(n) for n in re.findall(r'data-claim="(\d+)"', page.text)]
    assert shown == sorted([*(m.id for m in mine), returned.id], reverse=True)
    assert theirs.id not in shown and "次仁" not in page.text
    text = text_of(page.text)
    assert "已提交" in text and "待村级核实" in text and "已退回" in text and "待重新提交" in text
    due = claim_of(db, mine[0].id).due_at
    assert due is not None and due.strftime("%Y-%m-%d") in text
    assert re.search(r"5334\*{10}\d{3}[\dX]", page.text)  # the ID number only masked
    other = signed_in(db, tmp_path, "agent2").get("/agent/claims")
    assert [int(n) for n in re.findall(r'data-claim="(\d+)"', other.text)] == [theirs.id]


def test_the_claims_page_filters_and_pages(db, c, tmp_path, monkeypatch):
    filed = [export_claim(db, c, person(db, c.village, name=f"卓玛{i}")).id for i in range(5)]
    returned = claim_in(db, c, "returned").id
    agent = signed_in(db, tmp_path, "agent1")

    def ids(path: str) -> list[int]:
        return [int(n) for n in re.findall(r'data-claim="(\d+)"', agent.get(path).text)]

    assert ids("/agent/claims?status=returned") == [returned]
    assert ids("/agent/claims?status=submitted") == sorted(filed, reverse=True)
    assert ids("/agent/claims?subsidy_type=startup_subsidy") == []
    assert ids("/agent/claims?year=2025") == [] and len(ids("/agent/claims?year=2026")) == 6
    assert len(ids("/agent/claims?status=nonsense&year=abc")) == 6  # what no claim can be is no filter
    monkeypatch.setattr(portal_claims, "PAGE", 2)
    first = agent.get("/agent/claims?status=submitted")
    assert [int(n) for n in re.findall(r'data-claim="(\d+)"', first.text)] == sorted(filed, reverse=True)[:2]
    following = re.search(r'class="more" href="([^"]+)"', first.text)
    assert following is not None
    second = agent.get("/agent/claims" + following.group(1).replace("&amp;", "&"))
    assert [int(n) for n in re.findall(r'data-claim="(\d+)"', second.text)] == sorted(filed, reverse=True)[
        2:4
    ]
    assert "status=submitted" in following.group(1)


def test_a_claims_page_shows_its_state_deadline_amount_facts_history_and_documents(db, c, tmp_path):
    claim = claim_in(db, c, "returned")
    page = signed_in(db, tmp_path, "agent1").get(f"/agent/claims/{claim.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "已退回" in text and "¥ 300.00" in text and "省外" in text and "2026-03-01" in text
    assert "请补充材料" in text  # the village's reason, in the history
    assert claim.due_at is not None and claim.due_at.strftime("%Y-%m-%d") in text
    assert "逾期未提交的申请将过期" in text
    assert f"/agent/claims/{claim.id}/documents/approval_form" in page.text
    assert "rejection_notice" not in page.text  # only a rejected claim has one
    # The correction form shows the claim's facts, filled in.
    assert re.search(r'name="fact_employment_start" type="date" value="2026-03-01"', page.text)
    assert re.search(r'<option value="out_of_province" selected>', page.text)


def test_an_agent_withdraws_a_claim_from_its_page(db, c, tmp_path):
    claim = export_claim(db, c, person(db, c.village))
    agent = signed_in(db, tmp_path, "agent1")
    r = agent.submit(
        f"/agent/claims/{claim.id}",
        f"/agent/claims/{claim.id}/withdraw",
        {"comment": "本人放弃申请", "version": str(claim.version)},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/agent/claims/{claim.id}?done=withdraw"
    assert claim_of(db, claim.id).state == "withdrawn"
    page = agent.get(r.headers["location"])
    assert "申请已撤回" in page.text and "本人放弃申请" in page.text
    assert "/withdraw" not in page.text  # nothing left to withdraw
    # A stale page's version: the step is refused, said in Chinese.
    other = export_claim(db, c, person(db, c.village))
    transition(db, "claim", other.id, "verify", c.verifier)
    r = agent.submit(
        f"/agent/claims/{other.id}", f"/agent/claims/{other.id}/withdraw", {"version": str(other.version)}
    )
    assert r.status_code == 409 and "已被其他人处理或修改" in r.text
    assert claim_of(db, other.id).state == "village_verified"


def test_a_returned_claim_is_resubmitted_with_corrected_facts(db, c, tmp_path):
    claim = claim_in(db, c, "returned")
    agent = signed_in(db, tmp_path, "agent1")
    page = f"/agent/claims/{claim.id}"
    fields = {
        "fact_destination": "in_province",
        "fact_employment_start": "2026-13-01",
        "version": str(claim.version),
    }
    wrong = agent.submit(page, f"{page}/resubmit", fields)
    # Refused, field-named, in Chinese; what was typed is kept on the page.
    assert wrong.status_code == 422
    assert (
        "“就业开始日期”须为日期" in wrong.text
        and 'aria-invalid="true" aria-describedby="err-employment_start"' in wrong.text
    )
    assert 'value="2026-13-01"' in wrong.text and '<option value="in_province" selected>' in wrong.text
    assert claim_of(db, claim.id).state == "returned"
    fields["fact_employment_start"] = "2026-04-01"
    r = agent.submit(page, f"{page}/resubmit", fields)
    assert r.status_code == 303, r.text
    again = claim_of(db, claim.id)
    assert again.state == "submitted" and again.facts == {
        "destination": "in_province",
        "employment_start": "2026-04-01",
    }
    assert again.amount == Decimal("200.00") and triggers(db, claim.id)[-1] == "resubmit"
    assert "已重新提交" in agent.get(r.headers["location"]).text


def test_a_village_committee_resubmits_a_returned_monthly_post_claim_with_the_days(db, c, clock, tmp_path):
    on(clock, date(2026, 9, 20))
    contract = active_contract(db, c, date(2026, 10, 1), date(2027, 9, 30))
    committee_clerk(db, c)  # username "clerk", an agent of 阿东村民委员会
    on(clock, date(2026, 11, 2))
    from store.access.users import actor_for
    from store.models import User

    with db.sessions() as s:
        clerk = actor_for(s, s.scalars(select(User).where(User.username == "clerk")).one())
    october = submit_claim(db, clerk, month_claim(db, contract.id, "2026-10"))
    transition(db, "claim", october.id, "return", c.verifier, comment="出勤天数有误，请按考勤表填写")
    agent = signed_in(db, tmp_path, "clerk")
    listed = agent.get("/agent/claims?status=returned")
    assert f'data-claim="{october.id}"' in listed.text and "乡村公益性岗位补贴" in listed.text
    page = agent.get(f"/agent/claims/{october.id}")
    assert 'name="fact_month" type="month" value="2026-10"' in page.text
    assert 'name="fact_attendance_days" type="number"' in page.text and "出勤天数有误" in page.text
    too_many = agent.submit(
        f"/agent/claims/{october.id}",
        f"/agent/claims/{october.id}/resubmit",
        {
            "fact_month": "2026-10",
            "fact_attendance_days": "40",
            "version": str(claim_of(db, october.id).version),
        },
    )
    assert too_many.status_code == 422 and 'aria-describedby="err-attendance_days"' in too_many.text
    r = agent.submit(
        f"/agent/claims/{october.id}",
        f"/agent/claims/{october.id}/resubmit",
        {
            "fact_month": "2026-10",
            "fact_attendance_days": "17",
            "version": str(claim_of(db, october.id).version),
        },
    )
    assert r.status_code == 303, r.text
    again = claim_of(db, october.id)
    assert (again.state, again.facts["attendance_days"], again.amount) == ("submitted", 17, Decimal("755.56"))
    # The broker sees none of the committee's claims, nor the committee the broker's.
    assert f'data-claim="{october.id}"' not in signed_in(db, tmp_path, "agent1").get("/agent/claims").text
    assert signed_in(db, tmp_path, "agent1").get(f"/agent/claims/{october.id}").status_code == 404


def test_evidence_is_attached_listed_and_downloaded_and_a_wrong_file_is_refused(db, c, tmp_path):
    claim = export_claim(db, c, person(db, c.village))
    agent = signed_in(db, tmp_path, "agent1")
    page = f"/agent/claims/{claim.id}"
    r = agent.upload(
        page, f"{page}/evidence", {"file": ("劳动合同.pdf", PDF, "application/pdf")}, {"kind": "contract"}
    )
    assert r.status_code == 303 and "done=evidence" in r.headers["location"]
    with db.sessions() as s:
        stored = s.scalars(select(Evidence).where(Evidence.claim_id == claim.id)).one()
    shown = agent.get(page)
    assert "劳动合同.pdf" in shown.text and "劳动合同或协议" in shown.text
    download = agent.get(f"{page}/evidence/{stored.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    wrong = agent.upload(page, f"{page}/evidence", {"file": ("名单.txt", b"not a pdf", "text/plain")})
    assert wrong.status_code == 422 and "证明材料只接受PDF、JPEG或PNG文件" in wrong.text
    assert "字段：文件" in text_of(wrong.text).replace(" ", "")
    nothing = agent.upload(page, f"{page}/evidence", {"file": ("", b"", "application/octet-stream")})
    assert nothing.status_code == 422 and "请选择要上传的文件" in nothing.text


def test_the_claims_documents_are_its_own_pdfs(db, c, tmp_path):
    claim = export_claim(db, c, person(db, c.village))
    rejected = claim_in(db, c, "rejected")
    agent = signed_in(db, tmp_path, "agent1")
    form = agent.get(f"/agent/claims/{claim.id}/documents/approval_form")
    assert form.status_code == 200 and form.content.startswith(b"%PDF") and form.headers["x-document-number"]
    assert "rejection_notice" in agent.get(f"/agent/claims/{rejected.id}").text
    notice = agent.get(f"/agent/claims/{rejected.id}/documents/rejection_notice")
    assert notice.status_code == 200 and notice.content.startswith(b"%PDF")
    refused = agent.get(f"/agent/claims/{claim.id}/documents/rejection_notice")
    assert refused.status_code == 422 and "只有不予批准的申请才能出具不予批准通知" in refused.text
    assert agent.get(f"/agent/claims/{claim.id}/documents/contract").status_code == 404


def test_another_organisations_claim_its_files_and_documents_are_not_found(db, c, tmp_path):
    theirs = claim_in(db, c, "returned")  # filed by agent1's broker
    owner = signed_in(db, tmp_path, "agent1")
    page = f"/agent/claims/{theirs.id}"
    owner.upload(page, f"{page}/evidence", {"file": ("a.pdf", PDF, "application/pdf")})
    with db.sessions() as s:
        evidence_id = s.scalars(select(Evidence.id).where(Evidence.claim_id == theirs.id)).one()
    other = signed_in(db, tmp_path, "agent2")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', other.get("/agent/claims").text).group(1)  # type: ignore[union-attr]
    reads = [
        page,
        f"{page}/evidence/{evidence_id}",
        f"{page}/documents/approval_form",
        f"/agent/claims/{theirs.id + 999}",
    ]
    for path in reads:
        r = other.get(path)
        assert r.status_code == 404, path
        assert "卓玛" not in r.text and "%PDF" not in r.text
    posts = {
        f"{page}/withdraw": {"version": str(theirs.version)},
        f"{page}/resubmit": {"fact_destination": "in_province", "version": str(theirs.version)},
    }
    for path, fields in posts.items():
        r = other.client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)
        assert r.status_code == 404, path
    r = other.client.post(
        f"{page}/evidence", data={"_csrf_token": token}, files={"file": ("b.pdf", PDF, "application/pdf")}
    )
    assert r.status_code == 404
    assert claim_of(db, theirs.id).state == "returned"
    with db.sessions() as s:
        assert len(s.scalars(select(Evidence).where(Evidence.claim_id == theirs.id)).all()) == 1


def test_every_wait_of_the_claim_table_has_its_name_in_the_catalogue() -> None:
    assert set(WAITING.values()) <= set(WAIT_NAMES)


@pytest.mark.parametrize("path", ["/agent/claims", "/agent/lists"])
def test_the_agents_pages_come_out_in_english_for_an_agent_who_chose_it(db, c, tmp_path, path):
    export_claim(db, c, person(db, c.village))
    agent = signed_in(db, tmp_path, "agent1")
    agent.get("/lang/en")
    r = agent.get(path)
    assert '<html lang="en">' in r.text
    words = {"/agent/claims": ("Submitted", "Filter"), "/agent/lists": ("Download the list template",)}[path]
    for word in words:
        assert word in r.text, word


def test_a_returned_claims_correction_form_is_english_for_an_agent_who_chose_it(db, c, tmp_path):
    claim = claim_in(db, c, "returned")
    agent = signed_in(db, tmp_path, "agent1")
    agent.get("/lang/en")
    page = agent.get(f"/agent/claims/{claim.id}").text
    assert "Back to our claims" in page and "Reason for return" in page
    fields = re.findall(r'<div class="field[^"]*">(.*?)</div>', page, re.S)
    assert len(fields) == 2  # the labour-export facts: where, since when
    shown = text_of(" ".join(fields))
    assert "Outside the province" in shown and "a claim may be made once" in shown
    assert not re.search(r"[\u4e00-\u9fff]", shown), shown
