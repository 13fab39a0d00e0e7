"""Money bounded by the policy year (issue 14 §1): every fact that feeds an amount has a limit,
every type a ceiling per claim, and an amount above its type's ordinary range is approved by two
different HR reviewers: one at a time, never in bulk, never the same person twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from store import policy
from store.claims import ClaimInput, bulk_claim_step, submit_claim
from store.models import Claim, ClaimHistory
from store.payouts import batch_pool
from store.transitions import transition
from workflow.errors import RuleViolation, TransitionRefused, ValidationFailed
from workflow.rules import PolicyParams, limits
from workflow.rules.facts import facts_from_record
from workflow.rules.figures import parse, render

from .api_support import api_client
from .builders import add_admin, claim_in, id_number, person
from .builders_payouts import give_payee_an_account

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # courses end on 20 November 2026


def course(days: object, course_id: str = "K2026-01") -> dict[str, object]:
    return {"course_id": course_id, "course_days": days, "course_end": "2026-11-20", "course_completed": True}


def training(db, c, days: int, course_id: str = "K2026-01") -> Claim:
    who = person(db, c.village)
    return submit_claim(db, c.agent, ClaimInput("training_allowance", who, 2026, course(days, course_id)))


def verified(db, c, days: int, course_id: str = "K2026-01") -> int:
    claim = training(db, c, days, course_id)
    return transition(db, "claim", claim.id, "verify", c.verifier).id


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path / "files") as client:
        yield client


def test_the_api_refuses_days_beyond_the_years_limit_naming_the_field(api):
    who = api.post(
        "/api/v1/persons",
        json={
            "name": "卓玛",
            "id_number": id_number(),
            "village_code": "533422101001",
            "target_groups": ["poverty_alleviated"],
        },
    )
    assert who.status_code == 201, who.text
    pid = who.json()["id"]
    for days, code, says in (
        (3000, "validation.fact_above_limit", "“培训天数”不得超过60天（2026年度政策参数）"),
        (10**9, "validation.integer_range", "“培训天数”须在0到100000之间"),
    ):
        r = api.post(
            "/api/v1/claims",
            json={"subsidy_type": "training_allowance", "person_id": pid, "facts": course(days)},
        )
        assert r.status_code == 422, r.text
        body = r.json()
        assert (body["code"], body["errors"][0]["field"], body["detail"]) == (code, "course_days", says)
    huge = api.post(
        "/api/v1/claims",
        json={"subsidy_type": "training_allowance", "person_id": pid, "facts": course(10**30)},
    )
    assert huge.status_code in (400, 422) and huge.json()["code"].startswith("validation.")
    far = api.post(
        "/api/v1/claims",
        json={
            "subsidy_type": "training_allowance",
            "person_id": pid,
            "facts": {**course(5), "course_end": "9999-12-31"},
        },
    )
    # Refused by the API's schema (dates 1900–2099) before the rules read it (2000–2099).
    assert far.status_code == 400 and far.json()["errors"][0]["field"].endswith("course_end")
    ok = api.post(
        "/api/v1/claims", json={"subsidy_type": "training_allowance", "person_id": pid, "facts": course(60)}
    )
    assert ok.status_code == 201 and ok.json()["amount"] == "3100.00"


def test_facts_are_read_within_absolute_bounds_before_any_year_is_known():
    for raw, code in (
        ("100001", "validation.integer_range"),
        ("-1", "validation.integer_range"),
        ("1" * 31, "validation.integer"),
        ("1e3", "validation.integer"),
        ("٣", "validation.integer"),
    ):
        with pytest.raises(ValidationFailed) as info:
            facts_from_record({"course_days": raw})
        assert info.value.code == code and info.value.details["field"] == "course_days"
    for day in ("9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"):
        with pytest.raises(ValidationFailed) as info:
            facts_from_record({"course_end": day})
        assert info.value.code == "validation.date_range"
    assert facts_from_record({"course_days": " 42 "}).course_days == 42


def test_fare_and_wages_have_limits_of_their_own():
    p = PolicyParams.from_record(policy_record())
    with pytest.raises(ValidationFailed) as info:
        limits.check_facts(facts_from_record({"fare": "5000.01"}), p.fact_limits, 2026)
    assert info.value.details["field"] == "fare" and "5000.00元" in info.value.message
    with pytest.raises(ValidationFailed) as info:
        limits.check_facts(facts_from_record({"wages_paid": "200000.01"}), p.fact_limits, 2026)
    assert info.value.details["field"] == "wages_paid"
    limits.check_facts(facts_from_record({"fare": "5000", "wages_paid": "200000"}), p.fact_limits, 2026)


def policy_record() -> dict[str, object]:
    from workflow.rules.params import DEMO_2026

    record = DEMO_2026.to_record()
    for name in limits.DEFAULTS:  # a year stored before limits existed
        record.pop(name)
    return record


def test_a_year_stored_before_limits_reads_the_defaults_and_round_trips():
    p = PolicyParams.from_record(policy_record())
    assert p.fact_limits == limits.FACT_LIMITS and p.claim_ceilings == limits.CLAIM_CEILINGS
    assert PolicyParams.from_record(p.to_record()) == p
    assert limits.ceiling_of("labour_export_service", p) == Decimal("300")  # the year's own figure
    assert limits.ordinary_of("transport_subsidy", p) == Decimal("1000")
    assert limits.ordinary_of("training_allowance", p) == Decimal("1600")


def test_the_limits_are_typed_and_checked_as_figures():
    text = "course_days: 30; fare: 3000; wages_paid: 100000"
    assert parse("fact_limits", text) == {
        "course_days": Decimal(30),
        "fare": Decimal("3000.00"),
        "wages_paid": Decimal("100000.00"),
    }
    assert "培训天数 30天" in render_limits("fact_limits", parse("fact_limits", text))
    for bad, says in (
        ("course_days: 30", "缺少"),
        ("course_days: 30.5; fare: 1; wages_paid: 1", "整数"),
        ("course_days: 0; fare: 1; wages_paid: 1", "大于0"),
        ("course_days: x; fare: 1; wages_paid: 1", "数字"),
        ("nonsense: 1", "名称须为"),
        ("course_days: 1; course_days: 2; fare: 1; wages_paid: 1", "两次"),
    ):
        with pytest.raises(ValidationFailed) as info:
            parse("fact_limits", bad)
        assert says in info.value.message and info.value.details["field"] == "fact_limits", bad
    # A fixed-figure type may be given a ceiling of its own; the variable ones must be.
    ceilings = parse(
        "claim_ceilings", limits.as_text({**limits.CLAIM_CEILINGS, "transport_subsidy": Decimal(800)})
    )
    assert ceilings["transport_subsidy"] == Decimal("800.00")


def render_limits(kind, value):
    from workflow.rules.figures import BY_NAME

    return render(BY_NAME[kind], value)


def test_a_band_above_its_ceiling_is_refused_on_the_policy_page_service(db):
    admin = add_admin(db)
    bands = {**limits.SECOND_APPROVAL_ABOVE, "training_allowance": Decimal(5000)}
    with pytest.raises(ValidationFailed) as info:
        policy.set_figures(db, admin, 2026, {"second_approval_above": limits.as_text(bands)})
    assert info.value.details["field"] == "second_approval_above" and "不能高于单笔上限" in info.value.message


def test_an_amount_above_the_types_ceiling_is_refused(db, c):
    admin = add_admin(db)
    policy.set_figures(db, admin, 2026, {"training_living_per_day": "100"})
    with pytest.raises(RuleViolation) as info:
        training(db, c, 60)  # 100 × 60 + 100 = 6,100 元 > 3,100 元
    assert info.value.code == "rule.amount_above_ceiling"
    assert info.value.details["ceiling"] == "3100" and "6100.00元" in info.value.message
    assert training(db, c, 30, "K2026-02").amount == Decimal("3100.00")  # at the ceiling: filed


def test_a_large_amount_needs_two_different_reviewers(db, c):
    large = verified(db, c, 40)  # 50 × 40 + 100 = 2,100 元 > 1,600 元
    ordinary = verified(db, c, 20, "K2026-02")  # 1,100 元
    with pytest.raises(TransitionRefused) as info:
        transition(db, "claim", large, "approve", c.hr)
    assert info.value.code == "transition.guard_failed.within_ordinary_amount"
    assert "2100.00元" in info.value.message and "1600" in info.value.message
    with pytest.raises(TransitionRefused) as info:
        transition(db, "claim", ordinary, "approve_large", c.hr)
    assert info.value.code == "transition.guard_failed.above_ordinary_amount"

    # In bulk, the ordinary one is approved and the large one is refused with the reason.
    outcomes = bulk_claim_step(db, c.hr, [ordinary, large], "approve")
    assert outcomes[0].ok and not outcomes[1].ok and "大额" in outcomes[1].error

    first = transition(db, "claim", large, "approve_large", c.hr)
    assert (first.state, first.reviewed_by) == ("hr_first_reviewed", c.hr.user_id)
    with pytest.raises(TransitionRefused) as info:
        transition(db, "claim", large, "countersign", c.hr)
    assert info.value.code == "transition.separation_of_duties"
    # Not payable before the second signature.
    give_payee_an_account(db, large)
    with db.sessions() as s:
        assert large not in {claim.id for claim in s.scalars(batch_pool.pool_query())}
    done = transition(db, "claim", large, "countersign", c.hr2)
    assert (done.state, done.reviewed_by, done.countersigned_by) == (
        "hr_reviewed",
        c.hr.user_id,
        c.hr2.user_id,
    )
    with db.sessions() as s:
        assert large in {claim.id for claim in s.scalars(batch_pool.pool_query())}
        steps = s.scalars(
            select(ClaimHistory.trigger).where(ClaimHistory.claim_id == large).order_by(ClaimHistory.id)
        )
        assert list(steps) == ["submit", "verify", "approve_large", "countersign"]


def test_the_band_is_the_one_the_claim_was_computed_with(db, c):
    admin = add_admin(db)
    large = verified(db, c, 40)  # filed while the band is 1,600 元
    policy.set_figures(
        db,
        admin,
        2026,
        {
            "second_approval_above": limits.as_text(
                {**limits.SECOND_APPROVAL_ABOVE, "training_allowance": Decimal(3000)}
            )
        },
    )
    with pytest.raises(TransitionRefused) as info:
        transition(db, "claim", large, "approve", c.hr)
    assert info.value.code == "transition.guard_failed.within_ordinary_amount"
    later = verified(db, c, 40, "K2026-02")  # filed under the new band: one reviewer
    assert transition(db, "claim", later, "approve", c.hr).state == "hr_reviewed"


def test_a_countersign_is_refused_to_the_verifier_and_the_filer(db, c):
    large = verified(db, c, 40)
    transition(db, "claim", large, "approve_large", c.hr)
    for who in (c.verifier, c.agent, c.finance):
        with pytest.raises(TransitionRefused) as info:
            transition(db, "claim", large, "countersign", who)
        assert info.value.code == "transition.not_your_role"
    assert transition(db, "claim", large, "return", c.hr2, comment="请补充结业证书").state == "returned"


def test_ordinary_claims_still_take_one_approval(db, c):
    claim = claim_in(db, c, "hr_reviewed")
    assert claim.countersigned_by is None and claim.reviewed_by == c.hr.user_id


def test_the_approval_form_of_a_large_amount_has_both_reviewers_and_a_box_each(db, c, tmp_path):
    from store.documents.issuing import issue

    from .test_documents import flat, pdf_text, save_page_image

    large = verified(db, c, 40)
    transition(db, "claim", large, "approve_large", c.hr, comment="结业证书齐全")
    transition(db, "claim", large, "countersign", c.hr2, comment="复核无误")
    issued = issue(db, c.hr, "approval_form", large, base_url="https://fuzhi.example")
    text = flat(pdf_text(issued.pdf, tmp_path))
    for part in ("大额初审通过", "复核通过", "hr1", "hr2", "县人社局复核意见（大额）", "2,100.00"):
        assert part in text, part
    save_page_image(issued.pdf, "approval_form_countersigned")


def test_limits_may_be_typed_with_their_chinese_names():
    assert parse("fact_limits", "培训天数：45；实际交通费: 3000；已发工资额: 90000")[
        "course_days"
    ] == Decimal(45)
