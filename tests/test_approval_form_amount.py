"""The 审批表 states an approved amount (核定金额) only for a claim HR approved."""

from __future__ import annotations

from datetime import datetime

from store.documents.issuing import issue
from store.models import Claim
from store.transitions import transition
from workflow.numerals import capital_yuan

from .builders import claim_in, county
from .test_documents import flat, pdf_text


def test_the_form_of_a_rejected_claim_shows_no_approved_amount(db, clock, tmp_path):
    clock.current = datetime(2026, 11, 20, 10, 0)
    c = county(db)
    claim = claim_in(db, c, "village_verified")
    rejected = transition(db, "claim", claim.id, "reject", c.hr, comment="务工时间不足3个月")
    text = flat(pdf_text(issue(db, c.hr, "approval_form", claim.id).pdf, tmp_path))
    assert "务工时间不足3个月" in text
    with db.sessions() as s:
        computed = s.get_one(Claim, rejected.id).amount
    assert computed > 0  # the rule did compute one (its explanation names the rate): not approved
    assert amount_row(text) == "不予批准，无核定金额"
    assert capital_yuan(computed) not in text


def test_the_form_of_a_claim_awaiting_review_shows_the_computed_amount_as_not_yet_approved(
    db, clock, tmp_path
):
    clock.current = datetime(2026, 11, 20, 10, 0)
    c = county(db)
    claim = claim_in(db, c, "submitted")
    text = flat(pdf_text(issue(db, c.hr, "approval_form", claim.id).pdf, tmp_path))
    assert amount_row(text) == "尚未审核，暂无核定金额（按规则测算¥300.00，以审核结果为准）"
    assert capital_yuan(300) not in text


def amount_row(text: str) -> str:
    return text.split("核定金额", 1)[1].split("当前状态", 1)[0]
