"""The plan's rules with the plan's figures (DEMO_2026), through ``workflow.rules.evaluate``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from workflow.calendar import DEFAULT_CALENDAR
from workflow.errors import RuleViolation, ValidationFailed
from workflow.money import from_fen, parse_yuan, to_fen, yuan
from workflow.rules import (
    DEMO_2026,
    ClaimantFacts,
    ClaimDraft,
    ClaimFacts,
    ContractFacts,
    OtherClaim,
    PersonFacts,
    PolicyParams,
    RuleOutcome,
    evaluate,
    payee_of,
)
from workflow.rules.post_days import RULE_TEXT, month_bounds, prorate

TODAY = date(2026, 9, 1)
TARGET = frozenset({"poverty_alleviated"})

AGENCY = ClaimantFacts(id=10, kind="hr_agency")
VILLAGE_COMMITTEE = ClaimantFacts(id=11, kind="village_committee")
BROKER = ClaimantFacts(id=12, kind="labour_broker")
ENTERPRISE = ClaimantFacts(id=13, kind="enterprise")
SELF = ClaimantFacts(id=14, kind="person")
BASE = ClaimantFacts(id=20, kind="employment_base", recognised=True)
OTHER_BASE = ClaimantFacts(id=21, kind="employment_base", recognised=True)
UNRECOGNISED_BASE = ClaimantFacts(id=22, kind="employment_base", recognised=False)
STARTUP = ClaimantFacts(id=30, kind="enterprise", first_business=True)
WORKSHOP = ClaimantFacts(id=40, kind="workshop", recognised=True)


def draft(
    subsidy: str,
    person: int = 1,
    claimant: ClaimantFacts = AGENCY,
    year: int = 2026,
    groups: frozenset[str] = TARGET,
    contract: ContractFacts | None = None,
    **facts: Any,
) -> ClaimDraft:
    return ClaimDraft(
        subsidy_type=subsidy,
        policy_year=year,
        person=PersonFacts(id=person, target_groups=groups),
        claimant=claimant,
        facts=ClaimFacts(**facts),
        contract=contract,
    )


def ok(
    d: ClaimDraft,
    others: list[OtherClaim] | None = None,
    today: date = TODAY,
    params: PolicyParams = DEMO_2026,
) -> RuleOutcome:
    outcome = evaluate(d, params, others or [], today)
    assert type(outcome.amount) is Decimal
    assert outcome.amount.as_tuple().exponent == -2  # to the fen
    return outcome


def refused(
    d: ClaimDraft,
    others: list[OtherClaim] | None = None,
    today: date = TODAY,
    params: PolicyParams = DEMO_2026,
) -> RuleViolation:
    with pytest.raises(RuleViolation) as info:
        evaluate(d, params, others or [], today)
    assert info.value.message  # a clear message for people
    return info.value


def invalid(d: ClaimDraft, today: date = TODAY) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        evaluate(d, DEMO_2026, [], today)
    return info.value


def live(d: ClaimDraft, outcome: RuleOutcome) -> OtherClaim:
    """The accepted claim as the store would hold it for later checks."""
    return OtherClaim(
        subsidy_type=d.subsidy_type,
        person_id=d.person.id,
        claimant_id=d.claimant.id,
        policy_year=d.policy_year,
        dedupe_key=outcome.dedupe_key,
        exclusion_key=outcome.exclusion_key,
    )


STABLE = dict(employment_start=date(2026, 3, 1))  # more than 3 months before TODAY

# --------------------------------------------------------------------------------------
# labour_export_service: 300 out of province, 200 in province, none in the county
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "amount"),
    [
        ("out_of_province", Decimal("300.00")),
        ("in_province", Decimal("200.00")),
    ],
)
@pytest.mark.parametrize("claimant", [AGENCY, VILLAGE_COMMITTEE, BROKER])
def test_labour_export_service_amounts(destination: str, amount: Decimal, claimant: ClaimantFacts) -> None:
    outcome = ok(draft("labour_export_service", claimant=claimant, destination=destination, **STABLE))
    assert outcome.amount == amount
    assert outcome.rule == f"labour_export_service.{destination}"
    assert payee_of("labour_export_service") == "claimant"


def test_labour_export_service_in_county_refused() -> None:
    e = refused(draft("labour_export_service", destination="in_county", **STABLE))
    assert e.code == "rule.no_subsidy_in_county"


@pytest.mark.parametrize("claimant", [ENTERPRISE, SELF, BASE, WORKSHOP])
def test_labour_export_service_wrong_claimant_kind(claimant: ClaimantFacts) -> None:
    e = refused(draft("labour_export_service", claimant=claimant, destination="out_of_province", **STABLE))
    assert e.code == "rule.claimant_kind_not_eligible"


def test_labour_export_service_needs_target_group() -> None:
    e = refused(draft("labour_export_service", groups=frozenset(), destination="out_of_province", **STABLE))
    assert e.code == "rule.not_target_group"
    for group in ("poverty_alleviated", "relocated", "rural_low_income"):
        ok(draft("labour_export_service", groups=frozenset({group}), destination="out_of_province", **STABLE))


def test_labour_export_service_needs_three_months_of_stable_employment() -> None:
    d = draft("labour_export_service", destination="out_of_province", employment_start=date(2026, 1, 15))
    e = refused(d, today=date(2026, 4, 14))
    assert e.code == "rule.employment_too_short"
    assert e.details["earliest"] == "2026-04-15"
    assert "2026-04-15" in e.message
    assert ok(d, today=date(2026, 4, 15)).amount == Decimal("300.00")  # exactly 3 months


def test_three_months_from_the_end_of_a_month() -> None:
    d = draft("labour_export_service", destination="in_province", employment_start=date(2025, 11, 30))
    e = refused(d, today=date(2026, 2, 27))
    assert e.details["earliest"] == "2026-02-28"
    ok(d, today=date(2026, 2, 28))


def test_labour_export_service_needs_destination() -> None:
    e = invalid(draft("labour_export_service", **STABLE))
    assert (e.code, e.details["field"]) == ("validation.required", "destination")
    e = invalid(draft("labour_export_service", destination="mars", **STABLE))
    assert (e.code, e.details["field"]) == ("validation.destination", "destination")
    e = invalid(draft("labour_export_service", destination="in_province"))
    assert e.details["field"] == "employment_start"


def test_labour_export_service_once_per_person_per_year_whoever_claims() -> None:
    first = draft("labour_export_service", claimant=AGENCY, destination="out_of_province", **STABLE)
    others = [live(first, ok(first))]
    for claimant in (AGENCY, VILLAGE_COMMITTEE, BROKER):
        again = draft("labour_export_service", claimant=claimant, destination="in_province", **STABLE)
        assert refused(again, others).code == "rule.duplicate"
    # another person, or the same person in another year, is fine
    ok(draft("labour_export_service", person=2, destination="out_of_province", **STABLE), others)
    next_year = draft(
        "labour_export_service", year=2027, destination="out_of_province", employment_start=date(2027, 1, 1)
    )
    ok(next_year, others, today=date(2027, 6, 1), params=replace(DEMO_2026, year=2027))


def test_policy_year_must_match_parameters() -> None:
    e = invalid(draft("labour_export_service", year=2025, destination="out_of_province", **STABLE))
    assert (e.code, e.details["field"]) == ("validation.policy_year", "policy_year")
    e = invalid(draft("no_such_subsidy"))
    assert e.code == "validation.subsidy_type"


def test_parameters_are_data() -> None:
    richer = replace(DEMO_2026, labour_export_out_province=Decimal("350"))
    d = draft("labour_export_service", destination="out_of_province", **STABLE)
    assert ok(d, params=richer).amount == Decimal("350.00")
    assert PolicyParams.from_record(DEMO_2026.to_record()) == DEMO_2026


# --------------------------------------------------------------------------------------
# transport_subsidy: actual fare, at most 1000 / 500; exclusive with migrant_work_reward
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "fare", "amount"),
    [
        ("out_of_province", "678.90", "678.90"),
        ("out_of_province", "1000", "1000.00"),
        ("out_of_province", "1000.01", "1000.00"),
        ("out_of_province", "2345.60", "1000.00"),
        ("in_province", "321", "321.00"),
        ("in_province", "500.00", "500.00"),
        ("in_province", "678.90", "500.00"),
    ],
)
def test_transport_subsidy_actual_fare_capped(destination: str, fare: str, amount: str) -> None:
    outcome = ok(
        draft("transport_subsidy", claimant=SELF, destination=destination, fare=Decimal(fare), **STABLE)
    )
    assert outcome.amount == Decimal(amount)
    assert payee_of("transport_subsidy") == "person"


def test_transport_subsidy_refusals() -> None:
    base = dict(claimant=SELF, fare=Decimal("100"))
    assert (
        refused(draft("transport_subsidy", destination="in_county", **base, **STABLE)).code
        == "rule.no_subsidy_in_county"
    )
    assert (
        refused(
            draft("transport_subsidy", groups=frozenset(), destination="in_province", **base, **STABLE)
        ).code
        == "rule.not_target_group"
    )
    assert (
        refused(
            draft("transport_subsidy", destination="in_province", **base, employment_start=date(2026, 6, 2))
        ).code
        == "rule.employment_too_short"
    )
    e = invalid(draft("transport_subsidy", claimant=SELF, destination="in_province", **STABLE))
    assert e.details["field"] == "fare"


def _transport(year: int = 2026) -> ClaimDraft:
    return draft(
        "transport_subsidy",
        claimant=SELF,
        year=year,
        destination="out_of_province",
        fare=Decimal("800"),
        employment_start=date(year, 1, 1),
    )


def _reward(year: int = 2026, claimant: ClaimantFacts = SELF) -> ClaimDraft:
    return draft(
        "migrant_work_reward",
        claimant=claimant,
        year=year,
        destination="in_province",
        employment_start=date(year, 1, 1),
    )


def test_migrant_work_reward_is_the_years_parameter() -> None:
    assert ok(_reward()).amount == Decimal("500.00")
    assert ok(
        _reward(), params=replace(DEMO_2026, migrant_work_reward_amount=Decimal("666"))
    ).amount == Decimal("666.00")
    assert (
        refused(draft("migrant_work_reward", destination="in_county", **STABLE)).code
        == "rule.no_subsidy_in_county"
    )


def test_transport_and_migrant_work_reward_exclusive_in_the_same_year() -> None:
    transport = _transport()
    others = [live(transport, ok(transport))]
    e = refused(_reward(), others)
    assert e.code == "rule.exclusive_with"
    # and the other way round
    reward = _reward()
    assert refused(_transport(), [live(reward, ok(reward))]).code == "rule.exclusive_with"
    # another person is not affected
    ok(draft("migrant_work_reward", person=2, claimant=SELF, destination="in_province", **STABLE), others)


def test_transport_and_migrant_work_reward_fine_in_different_years() -> None:
    params_2025 = replace(DEMO_2026, year=2025)
    transport_2025 = _transport(2025)
    outcome = ok(transport_2025, today=date(2025, 6, 1), params=params_2025)
    ok(_reward(2026), [live(transport_2025, outcome)])


def test_transport_subsidy_once_per_person_per_year() -> None:
    transport = _transport()
    assert refused(_transport(), [live(transport, ok(transport))]).code == "rule.duplicate"
    reward = _reward()
    others = [live(reward, ok(reward))]
    assert refused(_reward(claimant=AGENCY), others).code == "rule.duplicate"


# --------------------------------------------------------------------------------------
# employment_base_reward: 1000 per person, recognised base only
# --------------------------------------------------------------------------------------


def test_employment_base_reward() -> None:
    d = draft("employment_base_reward", claimant=BASE, **STABLE)
    outcome = ok(d)
    assert outcome.amount == Decimal("1000.00")
    assert payee_of("employment_base_reward") == "claimant"
    for claimant in (UNRECOGNISED_BASE, WORKSHOP, AGENCY):
        assert (
            refused(draft("employment_base_reward", claimant=claimant, **STABLE)).code
            == "rule.claimant_not_recognised_base"
        )
    assert (
        refused(draft("employment_base_reward", claimant=BASE, employment_start=date(2026, 7, 1))).code
        == "rule.employment_too_short"
    )
    assert (
        refused(draft("employment_base_reward", claimant=BASE, groups=frozenset(), **STABLE)).code
        == "rule.not_target_group"
    )
    # one per person per base
    others = [live(d, outcome)]
    assert refused(d, others).code == "rule.duplicate"
    ok(draft("employment_base_reward", claimant=OTHER_BASE, **STABLE), others)


# --------------------------------------------------------------------------------------
# startup_subsidy / workshop_reward: >= 5 persons for >= 1 month, 15 % of wages
# --------------------------------------------------------------------------------------

ONE_MONTH = dict(employment_start=date(2026, 7, 1))


def _absorbed(subsidy: str, claimant: ClaimantFacts, persons: range, year: int = 2026) -> list[OtherClaim]:
    return [
        OtherClaim(
            subsidy_type=subsidy,
            person_id=p,
            claimant_id=claimant.id,
            policy_year=year,
            dedupe_key=f"{subsidy}:p{p}:o{claimant.id}",
        )
        for p in persons
    ]


ABSORPTION = [
    ("startup_subsidy", STARTUP, dict(operating_normally=True)),
    ("workshop_reward", WORKSHOP, {}),
]


@pytest.mark.parametrize(("subsidy", "claimant", "extra"), ABSORPTION)
def test_absorption_below_five_persons_is_filed_and_says_it_waits(
    subsidy: str, claimant: ClaimantFacts, extra: dict[str, Any]
) -> None:
    """The ≥ 5 rule is a standing condition checked when HR approves: a claim filed while
    the business has fewer is kept, its explanation saying how many count and that it waits."""
    d = draft(subsidy, person=1, claimant=claimant, wages_paid=Decimal("3000"), **ONE_MONTH, **extra)
    waiting = ok(d, _absorbed(subsidy, claimant, range(2, 5)))  # 4 persons with this one
    assert (waiting.absorbed, waiting.amount) == (4, Decimal("450.00"))
    assert "目前计入吸纳目标人员4人（须达到5人方可审核通过）" in waiting.explanation
    outcome = ok(d, _absorbed(subsidy, claimant, range(2, 6)))  # 5 persons
    assert (outcome.absorbed, outcome.amount) == (5, Decimal("450.00"))
    assert "须达到" not in outcome.explanation
    assert payee_of(subsidy) == "claimant"
    # other claimants' persons, other subsidy types and the same person twice do not count;
    # the business's claims of other years do (its absorbed persons, not one year's claims)
    other = ClaimantFacts(id=99, kind=claimant.kind, recognised=True, first_business=True)
    noise = (
        _absorbed(subsidy, other, range(5, 9))
        + _absorbed("employment_base_reward", claimant, range(5, 9))
        + _absorbed(subsidy, claimant, range(2, 4)) * 2
    )
    assert ok(d, noise).absorbed == 3
    assert ok(d, noise + _absorbed(subsidy, claimant, range(5, 7), year=2025)).absorbed == 5


@pytest.mark.parametrize(("count", "short"), [(4, True), (5, False), (6, False)])
def test_absorption_short_names_the_count_and_threshold(count: int, short: bool) -> None:
    from workflow.rules.absorption import absorption_short

    message = absorption_short(count, DEMO_2026)
    assert (message is not None) == short
    if message:
        assert "5人" in message and f"计入{count}人" in message


# --------------------------------------------------------------------------------------
# work_for_training: months * monthly amount, at most 6 months, once per person
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "amount"), [(1, "500.00"), (3, "1500.00"), (6, "3000.00")])
def test_work_for_training_months_times_monthly(months: int, amount: str) -> None:
    outcome = ok(
        draft(
            "work_for_training",
            claimant=ENTERPRISE,
            training_months=months,
            employment_start=date(2026, 2, 1),
        )
    )
    assert outcome.amount == Decimal(amount)
    assert payee_of("work_for_training") == "claimant"


WFT_START = dict(employment_start=date(2026, 2, 1))


def test_work_for_training_refusals() -> None:
    e = refused(
        draft("work_for_training", claimant=ENTERPRISE, training_months=6, employment_start=date(2026, 4, 1))
    )  # served until 2026-10-01
    assert (e.code, e.details["earliest"]) == ("rule.training_not_served", "2026-10-01")
    e = invalid(draft("work_for_training", claimant=ENTERPRISE, training_months=2))
    assert e.details["field"] == "employment_start"
    e = refused(draft("work_for_training", claimant=ENTERPRISE, training_months=7))
    assert (e.code, e.details["months"]) == ("rule.training_months_over_cap", 7)
    e = invalid(draft("work_for_training", claimant=ENTERPRISE, training_months=0))
    assert (e.code, e.details["field"]) == ("validation.training_months", "training_months")
    e = invalid(draft("work_for_training", claimant=ENTERPRISE))
    assert e.details["field"] == "training_months"
    assert (
        refused(draft("work_for_training", claimant=AGENCY, training_months=2)).code
        == "rule.claimant_kind_not_eligible"
    )
    assert (
        refused(draft("work_for_training", claimant=ENTERPRISE, groups=frozenset(), training_months=2)).code
        == "rule.not_target_group"
    )


def test_work_for_training_none_for_a_person_who_already_had_it() -> None:
    earlier = OtherClaim(
        subsidy_type="work_for_training",
        person_id=1,
        claimant_id=77,
        policy_year=2024,
        dedupe_key="work_for_training:p1",
    )
    for claimant in (ENTERPRISE, WORKSHOP, BASE):
        assert (
            refused(
                draft("work_for_training", claimant=claimant, training_months=1, **WFT_START), [earlier]
            ).code
            == "rule.already_received"
        )
    ok(draft("work_for_training", person=2, claimant=ENTERPRISE, training_months=1, **WFT_START), [earlier])


# --------------------------------------------------------------------------------------
# public_welfare_post: the contract's monthly subsidy, prorated by the days on the post
# (月岗位补贴 × 出勤天数 ÷ 当月法定工作日天数, half-up to the fen), once the month is over
# --------------------------------------------------------------------------------------

CONTRACT = ContractFacts(
    id=7,
    person_id=1,
    state="active",
    start_date=date(2026, 3, 15),
    end_date=date(2027, 3, 14),
    monthly_subsidy=Decimal("800"),
)
AFTER_ALL = date(2027, 6, 1)  # every month below has ended


def workdays(month: str) -> tuple[date, ...]:
    """What the store passes in: the month's working days on China's calendar."""
    first, last = month_bounds(month)
    return tuple(
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if DEFAULT_CALENDAR.is_workday(first + timedelta(days=n))
    )


def _post(
    month: str, contract: ContractFacts | None = CONTRACT, person: int = 1, days: int | None = None
) -> ClaimDraft:
    d = draft(
        "public_welfare_post",
        person=person,
        claimant=SELF,
        contract=contract,
        month=month,
        attendance_days=days,
    )
    return replace(d, month_workdays=workdays(month) if "/" not in month and month[5:] <= "12" else None)


def paid(month: str, days: int, contract: ContractFacts = CONTRACT) -> Decimal:
    return ok(_post(month, contract, days=days), today=AFTER_ALL).amount


def test_a_full_month_on_the_post_pays_the_monthly_subsidy() -> None:
    assert len(workdays("2026-07")) == 23  # 31 days, 8 weekend days, no holiday
    assert paid("2026-07", 23) == Decimal("800.00")
    assert payee_of("public_welfare_post") == "person"


def test_days_missed_are_deducted_by_the_working_days_of_the_month() -> None:
    assert paid("2026-07", 22) == Decimal("765.22")  # 800 × 22 ÷ 23 = 765.217… → 765.22
    assert paid("2026-07", 11) == Decimal("382.61")  # 800 × 11 ÷ 23 = 382.608… → 382.61
    # April 2026: 22 weekdays less Qingming (Monday 6 April) = 21.
    assert len(workdays("2026-04")) == 21
    assert paid("2026-04", 21) == Decimal("800.00")


def test_a_contract_starting_31_march_pays_one_working_day_of_march() -> None:
    start = replace(CONTRACT, start_date=date(2026, 3, 31))
    # March 2026: 22 weekdays and no holiday; 31 March is a Tuesday, the only one covered.
    assert len(workdays("2026-03")) == 22
    assert paid("2026-03", 1, start) == Decimal("36.36")  # 800 × 1 ÷ 22 = 36.3636… → 36.36
    e = invalid(_post("2026-03", start, days=2), today=AFTER_ALL)
    assert (e.code, e.details["field"], e.details["maximum"]) == (
        "validation.attendance_days_over_maximum",
        "attendance_days",
        1,
    )
    assert "最多1天" in e.message


def test_february_pays_against_its_own_working_days() -> None:
    # February 2026: 20 weekdays; the Spring Festival rests 16–20 and 23 Feb; the Saturdays
    # 14 and 28 Feb are make-up working days: 20 − 6 + 2 = 16.
    assert len(workdays("2026-02")) == 16
    whole_year = replace(CONTRACT, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    assert paid("2026-02", 16, whole_year) == Decimal("800.00")
    assert paid("2026-02", 13, whole_year) == Decimal("650.00")  # 800 × 13 ÷ 16


def test_the_national_day_week_is_not_counted_against_the_post_holder() -> None:
    # October 2026: 22 weekdays; 1–7 Oct rest (weekdays 1, 2, 5, 6, 7), Saturday 10 Oct is a
    # make-up working day: 22 − 5 + 1 = 18.
    assert len(workdays("2026-10")) == 18
    whole_year = replace(CONTRACT, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    assert paid("2026-10", 18, whole_year) == Decimal("800.00")
    assert paid("2026-10", 10, whole_year) == Decimal("444.44")  # 800 × 10 ÷ 18 = 444.444…
    # From 8 Oct the contract covers every working day of October: a full month.
    from_8th = replace(CONTRACT, start_date=date(2026, 10, 8), end_date=date(2027, 10, 7))
    assert paid("2026-10", 18, from_8th) == Decimal("800.00")
    # Left on 9 Oct: 8 and 9 Oct are the working days covered.
    left = replace(whole_year, state="terminated", terminated_on=date(2026, 10, 9))
    assert paid("2026-10", 2, left) == Decimal("88.89")  # 800 × 2 ÷ 18 = 88.888… → 88.89
    assert invalid(_post("2026-10", left, days=3), today=AFTER_ALL).details["maximum"] == 2


def test_a_mid_month_termination_pays_days_up_to_it_and_nothing_after() -> None:
    # June 2026: 22 weekdays less the Dragon Boat Festival (Fri 19 June) = 21; terminated on
    # Friday 12 June, the contract covers 1–5 and 8–12 June: 10 working days.
    assert len(workdays("2026-06")) == 21
    ended = replace(
        CONTRACT,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        state="terminated",
        terminated_on=date(2026, 6, 12),
    )
    assert paid("2026-06", 10, ended) == Decimal("380.95")  # 800 × 10 ÷ 21 = 380.952… → .95
    assert paid("2026-05", len(workdays("2026-05")), ended) == Decimal("800.00")
    for month in ("2026-07", "2026-12"):
        e = refused(_post(month, ended, days=1), today=AFTER_ALL)
        assert (e.code, e.details["terminated_on"]) == ("rule.month_after_termination", "2026-06-12")


def test_no_month_is_claimed_before_it_has_ended() -> None:
    e = refused(_post("2026-04", days=21), today=date(2026, 4, 30))
    assert (e.code, e.details["earliest"]) == ("rule.month_not_ended", "2026-05-01")
    assert refused(_post("2026-04"), today=date(2026, 4, 1)).code == "rule.month_not_ended"
    assert refused(_post("2026-05"), today=date(2026, 4, 30)).code == "rule.month_not_ended"
    assert ok(_post("2026-04", days=21), today=date(2026, 5, 1)).amount == Decimal("800.00")


def test_before_the_village_confirms_the_days_the_claim_shows_the_most_it_can_pay() -> None:
    # CONTRACT starts Sunday 15 March: 16–20, 23–27, 30–31 March are covered, 12 days of 22.
    outcome = ok(_post("2026-03"), today=AFTER_ALL)
    assert (outcome.amount, outcome.rule) == (Decimal("436.36"), "public_welfare_post.awaiting_attendance")
    assert "待村级核实出勤天数" in outcome.explanation


def test_attendance_days_must_be_at_least_one() -> None:
    e = invalid(_post("2026-04", days=0), today=AFTER_ALL)
    assert (e.code, e.details["field"]) == ("validation.attendance_days", "attendance_days")


def test_a_part_month_without_a_working_day_pays_nothing() -> None:
    # Saturday 31 October 2026 is not a working day.
    last_day = replace(CONTRACT, start_date=date(2026, 10, 31), end_date=date(2027, 10, 30))
    assert refused(_post("2026-10", last_day), today=AFTER_ALL).code == "rule.no_working_day_in_month"


@pytest.mark.parametrize("month", ["2026-02", "2027-04", "2025-12"])
def test_public_welfare_post_month_outside_contract_refused(month: str) -> None:
    e = refused(_post(month), today=date(2027, 6, 1))
    assert e.code == "rule.no_active_contract_for_month"


def test_public_welfare_post_other_refusals() -> None:
    for state in ("submitted", "village_verified", "hr_reviewed", "returned", "rejected"):
        assert (
            refused(_post("2026-04", replace(CONTRACT, state=state))).code
            == "rule.no_active_contract_for_month"
        )
    for state in ("expired", "terminated"):  # months it did cover are still paid
        ok(_post("2026-04", replace(CONTRACT, state=state)))
    assert refused(_post("2026-04", None)).code == "rule.no_active_contract_for_month"
    assert refused(_post("2026-04", person=2)).code == "rule.no_active_contract_for_month"
    assert refused(_post("2026-10")).code == "rule.month_not_ended"
    e = invalid(_post("2026/04"))
    assert (e.code, e.details["field"]) == ("validation.month", "month")
    assert invalid(_post("2026-13")).code == "validation.month"


def test_public_welfare_post_one_per_contract_per_month() -> None:
    d = _post("2026-04")
    others = [live(d, ok(d))]
    assert refused(_post("2026-04"), others).code == "rule.duplicate"
    ok(_post("2026-05"), others)
    ok(_post("2026-04", replace(CONTRACT, id=8)), others)


def test_the_printed_rule_and_the_computation_say_the_same() -> None:
    assert "月岗位补贴 × 实际出勤天数 ÷ 当月法定工作日天数" in RULE_TEXT
    assert "四舍五入到分" in RULE_TEXT and "全额发放" in RULE_TEXT
    assert prorate(Decimal("800"), 1, 22) == Decimal("36.36")
    assert prorate(Decimal("800"), 1, 16) == Decimal("50.00")
    assert prorate(Decimal("1000"), 1, 8) == Decimal("125.00")
    assert prorate(Decimal("1"), 1, 8) == Decimal("0.13")  # 0.125 half-up, not to even


# --------------------------------------------------------------------------------------
# training_allowance: completed course, per day living + transport, one per course
# --------------------------------------------------------------------------------------


def test_training_allowance() -> None:
    d = draft(
        "training_allowance",
        claimant=SELF,
        course_id="K-1",
        course_days=5,
        course_completed=True,
        course_end=date(2026, 8, 20),
    )
    outcome = ok(d)
    assert outcome.amount == Decimal("350.00")  # 5 × 50 living + 100 transport
    assert payee_of("training_allowance") == "person"
    assert (
        refused(
            draft("training_allowance", claimant=SELF, course_id="K-1", course_days=5, course_completed=False)
        ).code
        == "rule.course_not_completed"
    )
    others = [live(d, outcome)]
    assert refused(d, others).code == "rule.duplicate"
    ok(
        draft(
            "training_allowance",
            claimant=SELF,
            course_id="K-2",
            course_days=1,
            course_completed=True,
            course_end=date(2026, 8, 20),
        ),
        others,
    )
    e = invalid(
        draft("training_allowance", claimant=SELF, course_id="K-3", course_days=1, course_completed=True)
    )
    assert e.details["field"] == "course_end"
    assert (
        refused(
            draft(
                "training_allowance",
                claimant=SELF,
                course_id="K-3",
                course_days=1,
                course_completed=True,
                course_end=date(2026, 9, 2),
            )
        ).code
        == "rule.course_not_completed"
    )
    e = invalid(draft("training_allowance", claimant=SELF, course_days=5, course_completed=True))
    assert e.details["field"] == "course_id"
    e = invalid(
        draft("training_allowance", claimant=SELF, course_id="K-1", course_days=0, course_completed=True)
    )
    assert e.details["field"] == "course_days"


# --------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------


def test_yuan_is_exact_and_refuses_float() -> None:
    assert yuan(3) == Decimal("3.00") and str(yuan(3)) == "3.00"
    assert yuan("1.005") == Decimal("1.01")  # half-up
    assert yuan("2.675") == Decimal("2.68")  # float 2.675 would round down
    assert yuan(Decimal("-1.005")) == Decimal("-1.01")
    with pytest.raises(TypeError):
        yuan(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        yuan(0.0)  # type: ignore[arg-type]


def test_every_parameter_amount_is_decimal() -> None:
    for name, value in DEMO_2026.to_record().items():
        raw = getattr(DEMO_2026, name)
        assert not isinstance(raw, float), name
        if isinstance(value, str):
            assert isinstance(raw, Decimal), name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1，234", "1234.00"),
        (" 7 ", "7.00"),
        (0, "0.00"),
        (Decimal("9.9"), "9.90"),
    ],
)
def test_parse_yuan(raw: object, expected: str) -> None:
    value = parse_yuan(raw, "车费")
    assert isinstance(value, Decimal) and str(value) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("abc", "validation.not_a_number"),
        ("", "validation.not_a_number"),
        ("12元", "validation.not_a_number"),
        ("-1", "validation.negative_amount"),
        ("-0.01", "validation.negative_amount"),
        ("Infinity", None),
        ("NaN", None),
        ("1.234", "validation.too_many_decimals"),
        ("0.001", "validation.too_many_decimals"),
    ],
)
def test_parse_yuan_errors_name_the_field(raw: str, code: str | None) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse_yuan(raw, "实际交通费")
    if code is not None:
        assert info.value.code == code
    assert info.value.details["field"] == "实际交通费"
    assert "实际交通费" in info.value.message


def test_fen_round_trip() -> None:
    assert to_fen(Decimal("1234.56")) == 123456
    assert to_fen(Decimal("0.005")) == 1
    assert from_fen(123456) == Decimal("1234.56")
    assert str(from_fen(5)) == "0.05"
