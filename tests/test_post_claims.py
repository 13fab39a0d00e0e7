"""在岗领补 through the store and the pages: the village confirms the days on the post when it
verifies, the amount follows them, no month is claimed before it ends, and nothing after a
termination is paid. Every case sets its own clock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.claims import submit_claim
from store.claims.lists import upload_list
from store.contracts.lifecycle import terminate_contract
from store.models import Claim, ClaimHistory
from store.sweep.runner import run_sweep
from store.transitions import transition
from workflow.errors import RuleViolation, ValidationFailed

from .builders_posts import active_contract, committee_clerk, month_claim, on
from .page_support import sign_in


def claim_of(db, claim_id: int) -> Claim:
    with db.sessions() as s:
        return s.get_one(Claim, claim_id)


def test_a_village_verifies_a_post_claim_only_with_the_days_on_the_post(db, c, clock):
    on(clock, date(2026, 3, 20))
    cid = active_contract(db, c, date(2026, 3, 31), date(2027, 3, 30)).id
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 4, 1))
    march = submit_claim(db, clerk, month_claim(db, cid, "2026-03"))
    # Before the village confirms: the most March can pay, its one covered working day.
    assert (march.amount, march.rule) == (Decimal("36.36"), "public_welfare_post.awaiting_attendance")
    with pytest.raises(ValidationFailed) as missing:
        transition(db, "claim", march.id, "verify", c.verifier)
    assert (missing.value.details["field"], "出勤天数" in missing.value.message) == ("attendance_days", True)
    with pytest.raises(ValidationFailed) as too_many:
        transition(db, "claim", march.id, "verify", c.verifier, attendance_days=2)
    assert (too_many.value.details["field"], too_many.value.details["maximum"]) == ("attendance_days", 1)
    assert claim_of(db, march.id).state == "submitted"  # a refused step changes nothing
    transition(db, "claim", march.id, "verify", c.verifier, attendance_days=1)
    verified = claim_of(db, march.id)
    # 800 × 1 ÷ 22 (March 2026 has 22 working days) = 36.3636… → 36.36
    assert (verified.state, verified.amount, verified.facts["attendance_days"]) == (
        "village_verified",
        Decimal("36.36"),
        1,
    )
    assert "经村级核实出勤1天" in verified.rule_explanation
    with db.sessions() as s:
        step = s.scalars(
            select(ClaimHistory).where(ClaimHistory.claim_id == march.id, ClaimHistory.trigger == "verify")
        ).one()
    assert step.comment == "核实出勤1天"
    assert transition(db, "claim", march.id, "approve", c.hr).amount == Decimal("36.36")

    on(clock, date(2026, 5, 1))
    april = submit_claim(db, clerk, month_claim(db, cid, "2026-04"))
    transition(db, "claim", april.id, "verify", c.verifier, attendance_days=20)
    # April 2026: 21 working days (Qingming, Monday 6 April); 800 × 20 ÷ 21 = 761.904… → 761.90
    assert claim_of(db, april.id).amount == Decimal("761.90")


def test_no_month_is_claimed_before_it_ends_by_any_route(db, c, clock):
    on(clock, date(2026, 2, 20))
    cid = active_contract(db, c, date(2026, 3, 1), date(2027, 2, 28)).id
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 3, 31), 23)
    with pytest.raises(RuleViolation) as by_hand:
        submit_claim(db, clerk, month_claim(db, cid, "2026-03"))
    assert (by_hand.value.code, by_hand.value.details["earliest"]) == ("rule.month_not_ended", "2026-04-01")
    with db.sessions() as s:
        from store.models import Contract, Person

        contract = s.get_one(Contract, cid)
        holder = s.get_one(Person, contract.person_id)
        id_number = db.vault.decrypt(holder.id_number_enc)
    listed = (
        "姓名,身份证号,补贴类型,补贴月份,协议编号\r\n"
        f"{holder.name},{id_number},乡村公益性岗位补贴,2026-03,{cid}\r\n"
    ).encode()
    report = upload_list(db, clerk, "岗位补贴.csv", listed)
    assert [e.code for row in report.rows for e in row.errors] == ["rule.month_not_ended"]
    assert run_sweep(db).counts.get("post_claims_opened", 0) == 0
    on(clock, date(2026, 4, 1), 0)
    assert run_sweep(db).counts["post_claims_opened"] == 1


def test_a_mid_month_termination_pays_days_up_to_it_and_no_month_after(db, c, clock):
    on(clock, date(2025, 12, 20))
    cid = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 31)).id
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 6, 15))
    terminate_contract(db, c.hr, cid, "本人外出务工", terminated_on=date(2026, 6, 12))
    on(clock, date(2026, 7, 1))
    june = submit_claim(db, clerk, month_claim(db, cid, "2026-06"))
    with pytest.raises(ValidationFailed) as too_many:
        transition(db, "claim", june.id, "verify", c.verifier, attendance_days=11)
    assert too_many.value.details["maximum"] == 10  # 1–5 and 8–12 June
    transition(db, "claim", june.id, "verify", c.verifier, attendance_days=10)
    # June 2026: 21 working days (Dragon Boat Festival, Friday 19 June); 800 × 10 ÷ 21 = 380.95
    assert claim_of(db, june.id).amount == Decimal("380.95")
    on(clock, date(2026, 8, 1))
    with pytest.raises(RuleViolation) as after:
        submit_claim(db, clerk, month_claim(db, cid, "2026-07"))
    assert (after.value.code, after.value.details["terminated_on"]) == (
        "rule.month_after_termination",
        "2026-06-12",
    )


def test_a_claim_verified_before_a_late_reported_termination_is_refused_at_approval(db, c, clock):
    on(clock, date(2025, 12, 20))
    cid = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 31)).id
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 6, 1))
    may = submit_claim(db, clerk, month_claim(db, cid, "2026-05"))
    # May 2026: 21 weekdays less 1, 4 and 5 May, plus Saturday 9 May (调休) = 19.
    transition(db, "claim", may.id, "verify", c.verifier, attendance_days=19)
    assert claim_of(db, may.id).amount == Decimal("800.00")
    on(clock, date(2026, 6, 3))
    terminate_contract(db, c.hr, cid, "已于4月底外出务工", terminated_on=date(2026, 4, 30))
    with pytest.raises(RuleViolation) as refused:
        transition(db, "claim", may.id, "approve", c.hr)
    assert refused.value.code == "rule.month_after_termination"
    assert claim_of(db, may.id).state == "village_verified"


def test_the_claim_page_asks_the_village_for_the_days_and_shows_the_amount(db, c, clock):
    on(clock, date(2026, 9, 20))
    cid = active_contract(db, c, date(2026, 10, 8), date(2027, 10, 7)).id
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 11, 2))
    october = submit_claim(db, clerk, month_claim(db, cid, "2026-10"))
    village = sign_in(db, "village1")
    page = f"/claims/{october.id}"
    assert 'name="attendance_days"' in village.get(page).text
    without = village.submit(page, f"{page}/act", {"trigger": "verify", "version": october.version})
    assert without.status_code == 422 and "出勤天数" in without.text
    too_many = village.submit(
        page, f"{page}/act", {"trigger": "verify", "attendance_days": "19", "version": october.version}
    )
    assert too_many.status_code == 422 and "最多18天" in too_many.text
    bulk = village.submit("/inbox", "/inbox/bulk", {"trigger": "verify", "ids": [october.id]})
    assert "出勤天数" in bulk.text  # a list of claims cannot say each one's days
    done = village.submit(
        page, f"{page}/act", {"trigger": "verify", "attendance_days": "18", "version": october.version}
    )
    assert done.status_code == 303
    # From 8 October the contract covers all 18 working days of October (1–7 rest): in full.
    shown = village.get(page).text
    assert "800.00" in shown and "经村级核实出勤18天" in shown


def test_the_page_for_county_officials_quotes_the_rule_the_system_computes_by():
    from pathlib import Path

    from workflow.rules.post_days import RULE_TEXT

    page = (Path(__file__).resolve().parents[1] / "docs" / "post-subsidy.md").read_text()
    assert RULE_TEXT in page
    for amount in ("36.36", "761.90", "380.95", "650.00", "444.44", "88.89", "571.43"):
        assert f"**{amount} 元**" in page


def test_the_printed_contract_states_the_rule_the_amount_is_computed_by(db, c, clock, tmp_path):
    from store.documents.issuing import issue
    from workflow.rules.post_days import RULE_TEXT

    from .test_documents import flat, pdf_text

    on(clock, date(2026, 3, 20))
    cid = active_contract(db, c, date(2026, 3, 31), date(2027, 3, 30)).id
    text = flat(pdf_text(issue(db, c.hr, "contract", cid).pdf, tmp_path))
    assert flat(RULE_TEXT) in text
    assert "月岗位补贴×实际出勤天数÷当月法定工作日天数" in text and "四舍五入到分" in text


def test_a_claim_verified_without_days_before_this_rule_is_not_approved(db, c, clock):
    on(clock, date(2026, 3, 20))
    cid = active_contract(db, c, date(2026, 4, 1), date(2027, 3, 31)).id
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 5, 1))
    april = submit_claim(db, clerk, month_claim(db, cid, "2026-04"))
    with db.transaction() as s:  # as the old verification left it: no days, the full month
        s.get_one(Claim, april.id).state = "village_verified"
    with pytest.raises(ValidationFailed) as refused:
        transition(db, "claim", april.id, "approve", c.hr)
    assert refused.value.details["field"] == "attendance_days"
    assert transition(db, "claim", april.id, "return", c.hr, comment="请核实出勤天数").state == "returned"
