"""The "≥ 5 target persons absorbed" rule of 创业补贴 and 车间奖补 is a standing condition:
counted from all the business's live claims of the type, however and whenever they were filed,
and checked again when HR approves."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.access.users import actor_for, create_user
from store.claims import ClaimInput, submit_claim
from store.models import ClaimHistory
from store.people.persons import create_organisation
from store.transitions import transition
from workflow.errors import TransitionRefused
from workflow.roles import Actor, Role

from .builders import county, person
from .builders_years import add_policy_years
from .page_support import sign_in

GUARD = "transition.guard_failed.absorption_threshold_met"
FACTS = {"employment_start": "2026-09-01", "wages_paid": "6000"}


@pytest.fixture
def workshop(db, clock):
    """A recognised 就业帮扶车间 with its agent, on 28 November 2026."""
    clock.current = datetime(2026, 11, 28, 10)
    c = county(db)
    with db.transaction() as s:
        org = create_organisation(s, db, name="奔子栏民族服饰车间", kind="workshop", recognised=True)
        agent = actor_for(
            s,
            create_user(
                s,
                db,
                username="workshop1",
                password="password-123",
                roles=["agent"],
                org_id=org.id,
                display_name="车间经办",
            ),
        )
    return c, agent


def hire(db, c, agent: Actor, name: str, facts: dict = FACTS):
    """One absorbed person filed alone and verified by the village."""
    claim = submit_claim(
        db, agent, ClaimInput("workshop_reward", person(db, c.village, name=name), None, facts)
    )
    transition(db, "claim", claim.id, "verify", c.verifier)
    return claim


def approve(db, c, claim_id: int):
    return transition(db, "claim", claim_id, "approve", c.hr)


def approvals(db, claim_id: int) -> int:
    with db.sessions() as s:
        return len(
            s.scalars(
                select(ClaimHistory).where(
                    ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "approve"
                )
            ).all()
        )


def test_five_filed_one_at_a_time_are_each_kept_and_all_approved(db, workshop):
    c, agent = workshop
    claims = [hire(db, c, agent, f"员工{i}") for i in range(5)]
    assert "目前计入吸纳目标人员1人（须达到5人方可审核通过）" in claims[0].rule_explanation
    assert "目前计入吸纳目标人员5人，" in claims[4].rule_explanation
    for claim in claims:
        assert approve(db, c, claim.id).state == "hr_reviewed"
    assert {cl.amount for cl in claims} == {Decimal("900.00")}  # 15 % of 6,000


def test_approval_waits_while_rejected_or_withdrawn_companions_leave_fewer_than_five(db, workshop):
    c, agent = workshop
    claims = [hire(db, c, agent, f"员工{i}") for i in range(5)]
    transition(db, "claim", claims[0].id, "reject", c.hr, comment="未实际吸纳")
    transition(db, "claim", claims[1].id, "return", c.hr, comment="补充工资表")
    transition(db, "claim", claims[1].id, "withdraw", agent)
    with pytest.raises(TransitionRefused) as waits:
        approve(db, c, claims[2].id)
    assert waits.value.code == GUARD
    assert "须吸纳5人" in waits.value.message and "计入3人" in waits.value.message
    assert (waits.value.details["counted"], waits.value.details["required"]) == (3, 5)
    assert waits.value.details["claims"] == [claims[2].id, claims[3].id, claims[4].id]
    assert approvals(db, claims[2].id) == 0  # nothing recorded, the claim still waits
    # Two more hires filed later bring the business back to five: the three are approved.
    later = [hire(db, c, agent, f"新员工{i}") for i in range(2)]
    for claim in (*claims[2:], *later):
        assert approve(db, c, claim.id).state == "hr_reviewed"


def test_a_hire_filed_a_year_later_is_judged_by_the_business_count_then(db, workshop, clock):
    c, agent = workshop
    first = [hire(db, c, agent, f"员工{i}") for i in range(5)]
    for claim in first:
        approve(db, c, claim.id)
    clock.current = datetime(2027, 3, 10, 10)
    add_policy_years(db, 2027)
    sixth = hire(db, c, agent, "第六人", {"employment_start": "2027-01-15", "wages_paid": "4000"})
    assert sixth.policy_year == 2027
    assert "目前计入吸纳目标人员6人，" in sixth.rule_explanation
    assert approve(db, c, sixth.id).state == "hr_reviewed"


def test_bulk_approval_in_the_inbox_refuses_the_waiting_claims_with_the_count(db, workshop):
    c, agent = workshop
    claims = [hire(db, c, agent, f"员工{i}") for i in range(3)]
    hr = sign_in(db, "hr1")
    page = hr.submit("/inbox", "/inbox/bulk", {"trigger": "approve", "ids": [str(cl.id) for cl in claims]})
    assert page.status_code == 200
    assert page.text.count("本单位目前有效申请计入3人") == 3
    assert all(approvals(db, cl.id) == 0 for cl in claims)


def test_the_case_page_tells_hr_how_many_count_and_which_and_hides_approval(db, workshop):
    c, agent = workshop
    claims = [hire(db, c, agent, f"员工{i}") for i in range(3)]
    html = sign_in(db, "hr1").get(f"/claims/{claims[0].id}").text
    assert "3 / 5" in html and "未达到人数，暂不能审核通过" in html
    assert all(f'href="/claims/{cl.id}"' in html for cl in claims)
    assert "员工2" in html
    assert 'value="approve"' not in html
    # The village verifier sees the claim, not the business's persons in other claims.
    village = sign_in(db, "village1").get(f"/claims/{claims[0].id}").text
    assert "员工2" not in village and 'id="absorption"' not in village
    for i in range(2):
        hire(db, c, agent, f"新员工{i}")
    html = sign_in(db, "hr1").get(f"/claims/{claims[0].id}").text
    assert "5 / 5" in html and 'value="approve"' in html


def test_the_api_says_how_many_are_counted_and_which(db, workshop, tmp_path):
    from litestar.testing import TestClient

    from store.access.users import create_token
    from store.models import User
    from web.app import create_app

    c, agent = workshop
    claims = [hire(db, c, agent, f"员工{i}") for i in range(2)]
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, agent.user_id))
    with TestClient(create_app(db, files=tmp_path)) as client:
        body = client.get(
            f"/api/v1/claims/{claims[1].id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
    assert body["absorption"]["counted"] == 2 and body["absorption"]["required"] == 5
    assert body["absorption"]["claims"] == [claims[0].id, claims[1].id]
    assert "计入吸纳目标人员2人" in body["absorption"]["message"]
    assert "未达到5人" in body["absorption"]["message"]


def test_other_subsidy_types_are_not_held_by_the_absorption_guard(db, clock):
    clock.current = datetime(2026, 11, 28, 10)
    c = county(db)
    claim = submit_claim(
        db,
        c.agent,
        ClaimInput(
            "labour_export_service",
            person(db, c.village),
            None,
            {"destination": "out_of_province", "employment_start": "2026-03-01"},
        ),
    )
    transition(db, "claim", claim.id, "verify", c.verifier)
    assert approve(db, c, claim.id).state == "hr_reviewed"
    assert Role.HR in c.hr.roles


def test_five_filed_in_a_list_then_two_gone_leave_the_other_three_waiting(db, workshop):
    """The case the county met: five in one list were accepted, two were then rejected or
    withdrawn, and HR still approved the other three at 900 each."""
    from store.claims.lists import upload_list

    from .builders import id_number

    c, agent = workshop
    rows = "\n".join(
        f"员工{i},{id_number()},533422101001,脱贫人口,就业帮扶车间吸纳就业奖补,2026-09-01,6000"
        for i in range(5)
    )
    csv = ("姓名,身份证号,行政村代码,帮扶对象类别,补贴类型,就业开始日期,已发工资额\n" + rows + "\n").encode()
    report = upload_list(db, agent, "车间清单.csv", csv)
    assert report.rows_accepted == 5
    ids = [r.claim_id for r in report.rows]
    for claim_id in ids:
        transition(db, "claim", claim_id, "verify", c.verifier)
    transition(db, "claim", ids[0], "reject", c.hr, comment="未实际吸纳")
    transition(db, "claim", ids[1], "return", c.hr, comment="补充工资表")
    transition(db, "claim", ids[1], "withdraw", agent)
    for claim_id in ids[2:]:
        with pytest.raises(TransitionRefused) as waits:
            approve(db, c, claim_id)
        assert waits.value.details["counted"] == 3
        assert approvals(db, claim_id) == 0


def test_a_filing_counts_the_business_only_up_to_a_cap_and_says_so(db, workshop, monkeypatch):
    """Filing counts the business's other absorbed persons with one bounded query: past the cap
    (never below the plan's threshold) the explanation says "N人以上", and approval counts
    them all again."""
    from store import guard_inputs

    c, agent = workshop
    monkeypatch.setattr(guard_inputs, "COUNT_CAP", 3)  # below the threshold of 5: 5 it is
    claims = [hire(db, c, agent, f"员工{i}") for i in range(7)]
    assert "目前计入吸纳目标人员4人（须达到5人方可审核通过）" in claims[3].rule_explanation
    assert "目前计入吸纳目标人员6人，" in claims[5].rule_explanation  # 5 others + this one: exact
    assert "目前计入吸纳目标人员6人以上，" in claims[6].rule_explanation  # 6 others, counted to 5
    monkeypatch.setattr(guard_inputs, "COUNT_CAP", 1000)
    assert "目前计入吸纳目标人员8人，" in hire(db, c, agent, "员工7").rule_explanation
    approve(db, c, claims[6].id)  # the approval counts every live claim, whatever the cap
    assert approvals(db, claims[6].id) == 1


def test_the_count_shown_and_checked_at_approval_is_bounded_and_decides_the_same(db, workshop, monkeypatch):
    """However many live claims a business has, what the approval and the claim's readers get
    is a bounded count (never below the threshold, so the decision is the same) and a bounded
    list of the claims counted; past the bound the count says so."""
    from store import guard_inputs

    c, agent = workshop
    claims = [hire(db, c, agent, f"员工{i}") for i in range(8)]
    monkeypatch.setattr(guard_inputs, "COUNT_CAP", 3)  # below the threshold of 5: 5 it is
    monkeypatch.setattr(guard_inputs, "LISTED", 2)
    with db.transaction() as s:
        info = guard_inputs.absorption_of(s, claims[0].claimant_org_id, "workshop_reward", 2026)
    assert (info.count, info.required, info.capped, info.counted) == (5, 5, True, "5人以上")
    # Two of the claims counted, by number, each with its person's name.
    names = {c.id: f"员工{i}" for i, c in enumerate(claims)}
    assert len(info.claim_ids) == 2 and list(info.claim_ids) == sorted(info.claim_ids)
    assert info.names == tuple(names[i] for i in info.claim_ids)
    approve(db, c, claims[7].id)  # 5 counted of 8: the threshold is met all the same
    assert approvals(db, claims[7].id) == 1
    monkeypatch.setattr(guard_inputs, "COUNT_CAP", 1000)
    with db.transaction() as s:
        info = guard_inputs.absorption_of(s, claims[0].claimant_org_id, "workshop_reward", 2026)
    assert (info.count, info.capped, info.counted, len(info.claim_ids)) == (8, False, "8人", 2)


def test_a_count_past_the_cap_for_too_few_persons_counts_them_all(db, workshop, monkeypatch):
    """More live claims than the cap, naming fewer persons than the threshold (one person's
    claims of several years): the cap does not decide, every claim is counted."""
    from sqlalchemy import insert

    from store import guard_inputs
    from store.models import Claim

    c, agent = workshop
    first = hire(db, c, agent, "员工0")
    with db.transaction() as s:  # three more live claims of the same person (other years)
        row = {k: getattr(first, k) for k in ("subsidy_type", "person_id", "claimant_org_id")}
        row.update(village_id=c.village, payee_kind="claimant", facts={}, amount=0, rule="x")
        row.update(rule_explanation="", state="submitted", version=1, submitted_by=agent.user_id)
        row.update(created_at=first.created_at, updated_at=first.created_at, policy_year=2026)
        s.execute(insert(Claim), [{**row, "dedupe_key": f"other-year-{n}"} for n in range(3)])
    monkeypatch.setattr(guard_inputs, "COUNT_CAP", 1)
    with db.transaction() as s:  # cap 3 (the threshold given): 4 claims seen, 1 person
        assert guard_inputs.persons_counted(s, first.claimant_org_id, "workshop_reward", 3) == (1, False)
        assert guard_inputs.persons_counted(s, first.claimant_org_id, "workshop_reward", 1) == (1, True)
