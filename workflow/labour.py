"""Who counts as labour force (劳动力) and for which months a fact shows a person employed.

Pure functions of (person, day, range): the dashboard's SQL uses the same cut-offs
(``birth_window``, ``Span``), so the two cannot drift apart.

**Working age.** The bureau states the range in completed years of age (周岁), both ends
included, as a county official reads “16–60岁”: a person counts from their 16th birthday up to
the day before their 61st. A person born on 29 February reaches a new age on 1 March in a
common year (the day after 28 February), the usual reading of 周岁.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .errors import ValidationFailed
from .states import LabourCapacity, SubsidyType

DEFAULT_MIN_AGE, DEFAULT_MAX_AGE = 16, 60
# Wide enough for any rule a bureau sets, narrow enough to catch a typo (600 for 60).
LOWEST_AGE, HIGHEST_AGE = 10, 80
# How a range reads (16–60周岁). A message id too: a page shows it through its catalogue as
# ``_(AGE_LABEL, **ages.label_values())`` (web/locale/collect.py marks it for extraction).
AGE_LABEL = "%(low)s–%(high)s周岁"

T = SubsidyType


@dataclass(frozen=True)
class WorkingAge:
    """The admin's working-age range, in completed years, both ends included."""

    min_age: int = DEFAULT_MIN_AGE
    max_age: int = DEFAULT_MAX_AGE

    def label(self) -> str:
        return AGE_LABEL % self.label_values()

    def label_values(self) -> dict[str, int]:
        return {"low": self.min_age, "high": self.max_age}


def check_working_age(min_age: object, max_age: object) -> WorkingAge:
    """The range as typed by the admin, checked; errors name the field."""
    values: dict[str, int] = {}
    for name, label, raw in (("min_age", "劳动年龄下限", min_age), ("max_age", "劳动年龄上限", max_age)):
        text = str(raw).strip() if raw is not None else ""
        if not (text.isascii() and text.isdigit()):
            raise ValidationFailed("validation.integer", f"“{label}”须为整数（周岁）", field=name)
        value = int(text)
        if not LOWEST_AGE <= value <= HIGHEST_AGE:
            raise ValidationFailed(
                "validation.working_age", f"“{label}”须在{LOWEST_AGE}到{HIGHEST_AGE}周岁之间", field=name
            )
        values[name] = value
    if values["min_age"] > values["max_age"]:
        raise ValidationFailed("validation.working_age", "劳动年龄下限不能大于上限", field="min_age")
    return WorkingAge(values["min_age"], values["max_age"])


def check_capacity(capacity: str) -> str:
    if capacity not in LabourCapacity.__members__.values():
        raise ValidationFailed(
            "validation.labour_capacity",
            "劳动力类型须为全劳力、弱劳力、半劳力或无劳动力",
            field="labour_capacity",
        )
    return capacity


def age_on(birth: date, day: date) -> int:
    """Completed years of age (周岁) on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _years_before(day: date, years: int) -> date:
    year = day.year - years
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def birth_window(day: date, ages: WorkingAge) -> tuple[date, date]:
    """``(born_after, born_by)``: a person is of working age on ``day`` exactly when
    ``born_after < birth_date <= born_by`` (what the dashboard's SQL compares)."""
    return _years_before(day, ages.max_age + 1), _years_before(day, ages.min_age)


def of_working_age(birth: date, day: date, ages: WorkingAge) -> bool:
    return ages.min_age <= age_on(birth, day) <= ages.max_age


def in_labour_force(capacity: str, birth: date, override: bool, day: date, ages: WorkingAge) -> bool:
    """Some labour capacity, and of working age unless marked as labour force anyway
    (``override``: a 15-year-old out of school at work, a fit 63-year-old)."""
    if capacity == LabourCapacity.NONE:
        return False
    return override or of_working_age(birth, day, ages)


# --------------------------------------------------------------------------------------
# Employment as a period
# --------------------------------------------------------------------------------------

# An approved claim proves that the person worked for the months its rule required, from the
# employment start in its facts; it says nothing about later months, so it counts for those
# only. The months are the plan's (稳定就业3个月以上; 吸纳就业1个月以上): they are what the
# plan fixes and a year's parameters restate, and reading them here keeps the dashboard one
# aggregate query. A 以工代训 claim counts for its training months.
STABLE_MONTHS = 3
ABSORPTION_MONTHS = 1
CLAIM_MONTHS: dict[str, int | None] = {
    T.LABOUR_EXPORT_SERVICE: STABLE_MONTHS,
    T.TRANSPORT_SUBSIDY: STABLE_MONTHS,
    T.MIGRANT_WORK_REWARD: STABLE_MONTHS,
    T.EMPLOYMENT_BASE_REWARD: STABLE_MONTHS,
    T.STARTUP_SUBSIDY: ABSORPTION_MONTHS,
    T.WORKSHOP_REWARD: ABSORPTION_MONTHS,
    T.WORK_FOR_TRAINING: None,  # the claim's training_months
}
EMPLOYMENT_TYPES: tuple[str, ...] = tuple(str(t) for t in CLAIM_MONTHS)


def month_index(day: date) -> int:
    """Months since year 0: consecutive months are consecutive integers."""
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Span:
    """The months (as ``month_index``) a fact shows a person employed, both ends included."""

    first: int
    last: int

    def covers(self, index: int) -> bool:
        return self.first <= index <= self.last


def claim_span(start: date, months: int) -> Span:
    """Employed from ``start`` for ``months`` months: the months touched by
    [start, start + months). Starting on the 1st, 3 months are exactly 3 calendar months;
    starting on 15 March they run into June."""
    first = month_index(start)
    return Span(first, first + months - (1 if start.day == 1 else 0))


def contract_span(start: date, last_day: date) -> Span:
    """A post contract: the months from its start to its last day (its end date, or the day
    it was terminated)."""
    return Span(month_index(start), month_index(last_day))


def training_span_before(filed: date, months: int) -> Span:
    """A 以工代训 claim without an employment start: it is filed after the training, so it
    counts for the ``months`` months just before the month it was filed."""
    filed_at = month_index(filed)
    return Span(filed_at - months, filed_at - 1)
