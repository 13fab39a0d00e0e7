"""Which policy year a claim belongs to: a date fixed by its facts, never the claimant's choice.

Each subsidy type names the day that fixes its year (the table ``YEAR_BASIS``): the day the
stable-employment months are complete, the post month, the end of the course. Two claimants
filing for the same job therefore land in the same year, and "one per person per year" and the
exclusions between types hold across claimants and across the turn of the year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ..dates import add_months
from ..errors import RuleViolation, ValidationFailed
from ..states import SubsidyType
from .facts import FACT_LABELS, ClaimFacts

T = SubsidyType


@dataclass(frozen=True)
class Months:
    """The month counts a year's parameters give (the plan's: 3 months stable, 1 month absorbed)."""

    stable: int = 3
    absorbed: int = 1


@dataclass(frozen=True)
class YearBasis:
    label: str  # which day fixes the year, as the case page and docs/ say it
    needs: str  # the fact that day is read from
    day: Callable[[ClaimFacts, Months], date | None]
    early: tuple[str, str]  # the rule and message when that day has not come yet


_STABLE_EARLY = ("employment_too_short", "须稳定就业满{stable}个月，最早可于{day}申报")
_ABSORBED_EARLY = ("employment_too_short", "须吸纳就业满{absorbed}个月，最早可于{day}申报")


@dataclass(frozen=True)
class YearFix:
    year: int
    day: date
    reason: str  # e.g. "稳定就业满3个月之日为2027-03-01"


def _after(months: Callable[[ClaimFacts, Months], int | None]) -> Callable[[ClaimFacts, Months], date | None]:
    def day(facts: ClaimFacts, m: Months) -> date | None:
        n = months(facts, m)
        if facts.employment_start is None or n is None:
            return None
        return add_months(facts.employment_start, n)

    return day


def _month_start(facts: ClaimFacts, m: Months) -> date | None:
    if not facts.month:
        return None
    try:
        year, mon = (int(x) for x in facts.month.split("-"))
        return date(year, mon, 1)
    except ValueError:
        raise ValidationFailed("validation.month", "补贴月份格式须为YYYY-MM", field="month") from None


_stable = _after(lambda f, m: m.stable)
_absorbed = _after(lambda f, m: m.absorbed)
_STABLE = "稳定就业满{stable}个月之日"
YEAR_BASIS: dict[str, YearBasis] = {
    T.LABOUR_EXPORT_SERVICE: YearBasis(_STABLE, "employment_start", _stable, _STABLE_EARLY),
    T.TRANSPORT_SUBSIDY: YearBasis(_STABLE, "employment_start", _stable, _STABLE_EARLY),
    T.MIGRANT_WORK_REWARD: YearBasis(_STABLE, "employment_start", _stable, _STABLE_EARLY),
    T.EMPLOYMENT_BASE_REWARD: YearBasis(_STABLE, "employment_start", _stable, _STABLE_EARLY),
    T.STARTUP_SUBSIDY: YearBasis(
        "吸纳就业满{absorbed}个月之日", "employment_start", _absorbed, _ABSORBED_EARLY
    ),
    T.WORKSHOP_REWARD: YearBasis(
        "吸纳就业满{absorbed}个月之日", "employment_start", _absorbed, _ABSORBED_EARLY
    ),
    T.WORK_FOR_TRAINING: YearBasis(
        "以工代训期满之日（开始日期加以工代训月数）",
        "employment_start",
        _after(lambda f, m: f.training_months),
        ("training_not_served", "以工代训尚未期满，最早可于{day}申报"),
    ),
    T.PUBLIC_WELFARE_POST: YearBasis(
        "补贴月份", "month", _month_start, ("month_not_started", "补贴月份尚未开始，不能申领岗位补贴")
    ),
    T.TRAINING_ALLOWANCE: YearBasis(
        "培训结业日期",
        "course_end",
        lambda f, m: f.course_end,
        ("course_not_completed", "结业日期{day}尚未到，须完成培训课程后方可申领培训补贴"),
    ),
}


def basis_label(subsidy_type: str, months: Months = Months()) -> str:
    return YEAR_BASIS[subsidy_type].label.format(stable=months.stable, absorbed=months.absorbed)


def claim_year(subsidy_type: str, facts: ClaimFacts, months: Months) -> YearFix:
    """The policy year the facts put the claim in, with the day and why; the missing fact
    is named when the day cannot be known."""
    basis = YEAR_BASIS.get(subsidy_type)
    if basis is None:
        raise ValidationFailed("validation.subsidy_type", "未知的补贴类型", field="subsidy_type")
    day = basis.day(facts, months)
    if day is None:
        field = basis.needs if getattr(facts, basis.needs) is None else "training_months"
        raise ValidationFailed(
            "validation.required", f"缺少“{FACT_LABELS[field]}”，无法确定所属政策年度", field=field
        )
    label = basis_label(subsidy_type, months)
    return YearFix(day.year, day, f"{label}为{day.isoformat()}")


def check_not_early(subsidy_type: str, fix: YearFix, months: Months, today: date) -> None:
    """A claim whose year-fixing day is still to come cannot be filed yet (the months are not
    served, the course not over): say when it can, before asking for that year's figures."""
    if fix.day <= today:
        return
    rule, message = YEAR_BASIS[subsidy_type].early
    raise RuleViolation(
        f"rule.{rule}",
        message.format(stable=months.stable, absorbed=months.absorbed, day=fix.day.isoformat()),
        earliest=fix.day.isoformat(),
    )


def check_year_sent(sent: int | None, fix: YearFix) -> None:
    """A year the claimant sent must be the one the facts fix."""
    if sent is not None and sent != fix.year:
        raise ValidationFailed(
            "validation.policy_year_mismatch",
            f"该申请属于{fix.year}年度（{fix.reason}），不能按{sent}年度申报",
            field="policy_year",
            expected=fix.year,
            sent=sent,
        )
