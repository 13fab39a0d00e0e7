"""The policy year a claim belongs to follows from its facts, never from the claimant's choice:
one job, one trip, one course is one claim in one year, whoever files it and whenever."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from store.claims import ClaimInput, submit_claim
from store.people.persons import PersonInput, create_person
from workflow.errors import RuleViolation, ValidationFailed
from workflow.rules import ClaimFacts
from workflow.rules.years import YEAR_BASIS, Months, claim_year
from workflow.states import SubsidyType

from .api_support import api_client
from .builders import county, id_number, person
from .builders_years import add_policy_years

JOB = {"destination": "out_of_province", "employment_start": "2026-12-01"}


def file(db, agent, subsidy: str, pid: int, facts: dict, year: int | None = None):
    return submit_claim(db, agent, ClaimInput(subsidy, pid, year, facts))


@pytest.fixture
def march_2027(db, clock):
    """5 March 2027: stable employment from 1 December 2026 is complete (1 March 2027)."""
    clock.current = datetime(2027, 3, 5, 10)
    add_policy_years(db, 2027)
    c = county(db)
    return c, person(db, c.village)


def test_every_subsidy_type_names_the_day_that_fixes_its_year():
    assert set(YEAR_BASIS) == set(SubsidyType)
    for basis in YEAR_BASIS.values():
        assert basis.label and basis.needs


@pytest.mark.parametrize(
    ("subsidy", "facts", "year", "day"),
    [
        ("labour_export_service", ClaimFacts(employment_start=date(2026, 12, 1)), 2027, date(2027, 3, 1)),
        ("labour_export_service", ClaimFacts(employment_start=date(2026, 9, 30)), 2026, date(2026, 12, 30)),
        ("workshop_reward", ClaimFacts(employment_start=date(2026, 12, 1)), 2027, date(2027, 1, 1)),
        (
            "work_for_training",
            ClaimFacts(employment_start=date(2026, 8, 1), training_months=6),
            2027,
            date(2027, 2, 1),
        ),
        ("public_welfare_post", ClaimFacts(month="2026-12"), 2026, date(2026, 12, 1)),
        ("training_allowance", ClaimFacts(course_end=date(2027, 1, 2)), 2027, date(2027, 1, 2)),
    ],
)
def test_the_year_is_the_year_of_the_day_the_facts_fix(subsidy, facts, year, day):
    fix = claim_year(subsidy, facts, Months())
    assert (fix.year, fix.day) == (year, day)
    assert day.isoformat() in fix.reason


def test_one_job_from_1_december_is_one_claim_in_2027_whoever_files_it(db, march_2027):
    c, pid = march_2027
    with pytest.raises(ValidationFailed) as wrong:
        file(db, c.agent, "labour_export_service", pid, JOB, year=2026)  # the broker says 2026
    assert wrong.value.code == "validation.policy_year_mismatch"
    assert wrong.value.details["field"] == "policy_year"
    assert "属于2027年度" in wrong.value.message
    assert "稳定就业满3个月之日为2027-03-01" in wrong.value.message
    claim = file(db, c.agent, "labour_export_service", pid, JOB)
    assert (claim.policy_year, claim.amount) == (2027, 300)
    with pytest.raises(RuleViolation) as twice:  # the agency files the same job as 2027
        file(db, c.other_agent, "labour_export_service", pid, JOB, year=2027)
    assert twice.value.code == "rule.duplicate"


def test_transport_and_the_migrant_reward_for_one_trip_stay_exclusive_over_new_year(db, march_2027):
    c, pid = march_2027
    fare = {**JOB, "fare": "860"}
    assert file(db, c.agent, "transport_subsidy", pid, fare).policy_year == 2027
    with pytest.raises(ValidationFailed) as wrong:
        file(db, c.agent, "migrant_work_reward", pid, JOB, year=2026)
    assert wrong.value.code == "validation.policy_year_mismatch"
    with pytest.raises(RuleViolation) as both:
        file(db, c.other_agent, "migrant_work_reward", pid, JOB)
    assert both.value.code == "rule.exclusive_with"


def test_two_jobs_whose_months_complete_in_different_years_are_one_claim_each(db, clock):
    clock.current = datetime(2027, 3, 5, 10)
    add_policy_years(db, 2027)
    c = county(db)
    pid = person(db, c.village)
    autumn = file(
        db,
        c.agent,
        "labour_export_service",
        pid,
        {"destination": "in_province", "employment_start": "2026-09-15"},
    )
    winter = file(
        db,
        c.other_agent,
        "labour_export_service",
        pid,
        {"destination": "out_of_province", "employment_start": "2026-11-20"},
    )
    assert (autumn.policy_year, autumn.amount) == (2026, 200)
    assert (winter.policy_year, winter.amount) == (2027, 300)
    with pytest.raises(RuleViolation) as third:  # a third job completing in 2027
        file(
            db,
            c.agent,
            "labour_export_service",
            pid,
            {"destination": "out_of_province", "employment_start": "2026-10-10"},
        )
    assert third.value.code == "rule.duplicate"


def test_a_claim_whose_year_has_no_parameters_is_refused_naming_the_year(db, clock):
    clock.current = datetime(2027, 3, 5, 10)  # 2027 not set up
    c = county(db)
    with pytest.raises(ValidationFailed) as missing:
        file(db, c.agent, "labour_export_service", person(db, c.village), JOB)
    assert missing.value.code == "validation.policy_year"
    assert missing.value.details["year"] == 2027
    assert "2027年度政策参数尚未设置" in missing.value.message
    assert "稳定就业满3个月之日为2027-03-01" in missing.value.message


def test_a_claim_filed_before_the_day_that_fixes_its_year_says_when_it_can_be(db, clock):
    clock.current = datetime(2026, 11, 28, 10)
    c = county(db)
    with pytest.raises(RuleViolation) as early:
        file(db, c.agent, "labour_export_service", person(db, c.village), JOB)
    assert early.value.code == "rule.employment_too_short"
    assert early.value.details["earliest"] == "2027-03-01"


def test_a_resubmitted_claim_follows_its_corrected_facts_into_their_year(db, march_2027):
    from store.claims.filing import resubmit_claim
    from store.transitions import transition

    c, pid = march_2027
    claim = file(db, c.agent, "labour_export_service", pid, JOB)
    transition(db, "claim", claim.id, "return", c.verifier, comment="开始日期有误")
    again = resubmit_claim(
        db, c.agent, claim.id, {"destination": "out_of_province", "employment_start": "2026-08-01"}
    )
    assert again.policy_year == 2026


def test_the_api_refuses_a_year_that_disagrees_with_the_facts(db, clock, tmp_path):
    clock.current = datetime(2027, 3, 5, 10)
    add_policy_years(db, 2027)
    with api_client(db, tmp_path) as api:
        number = id_number()
        with db.transaction() as s:
            create_person(s, db, PersonInput("卓玛", number, api.county.village, ("poverty_alleviated",)))
        answer = api.post(
            "/api/v1/claims",
            json={
                "subsidy_type": "labour_export_service",
                "id_number": number,
                "policy_year": 2026,
                "facts": JOB,
            },
        )
        assert answer.status_code == 422
        problem = answer.json()
        assert problem["code"] == "validation.policy_year_mismatch"
        assert "2027" in problem["detail"]
        answer = api.post(
            "/api/v1/claims",
            json={"subsidy_type": "labour_export_service", "id_number": number, "facts": JOB},
        )
        assert answer.status_code == 201 and answer.json()["policy_year"] == 2027
