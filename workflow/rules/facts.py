"""What a rule reads: the claim's facts, the person, the claimant, the claimant's other claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .limits import ABSOLUTE_WHOLE


@dataclass(frozen=True)
class PersonFacts:
    id: int
    target_groups: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ClaimantFacts:
    id: int
    kind: str
    recognised: bool = False  # 认定的就业帮扶基地 / 车间
    first_business: bool = False  # 首次创办经营实体
    # The date of the 认定文件: absorption before it earns no reward (None: not recorded).
    recognised_on: date | None = None
    recognition_doc_no: str | None = None


@dataclass(frozen=True)
class ContractFacts:
    id: int
    person_id: int
    state: str
    start_date: date
    end_date: date
    monthly_subsidy: Decimal
    terminated_on: date | None = None  # 有序退岗: the last day on the post


@dataclass(frozen=True)
class ClaimFacts:
    destination: str | None = None  # out_of_province / in_province / in_county
    employment_start: date | None = None
    fare: Decimal | None = None
    wages_paid: Decimal | None = None
    training_months: int | None = None
    course_id: str | None = None
    course_days: int | None = None
    course_end: date | None = None  # 结业日期: fixes a training allowance's year
    course_completed: bool = False
    operating_normally: bool = False
    month: str | None = None  # YYYY-MM, for public_welfare_post
    attendance_days: int | None = None  # 出勤天数 in that month, confirmed by the village


@dataclass(frozen=True)
class ClaimDraft:
    subsidy_type: str
    policy_year: int
    person: PersonFacts
    claimant: ClaimantFacts
    facts: ClaimFacts
    contract: ContractFacts | None = None
    # public_welfare_post: the working days of the claim's month on China's calendar (with
    # the admin's overrides), given by the store so that the rule reads no calendar itself.
    month_workdays: tuple[date, ...] | None = None
    # absorption types: persons the claimant's live claims of the type name besides this
    # claim's person and those in the ``others`` given (the store counts them, up to a cap,
    # rather than loading every claim: a business with thousands does not slow each filing),
    # and whether the count stopped at the cap.
    absorbed_elsewhere: int = 0
    absorbed_capped: bool = False


@dataclass(frozen=True)
class OtherClaim:
    """Another live claim (any claimant) that a rule must see: duplicates, caps, the 5-person set."""

    subsidy_type: str
    person_id: int
    claimant_id: int
    policy_year: int
    dedupe_key: str | None
    exclusion_key: str | None = None


FACT_LABELS = {
    "destination": "务工地点",
    "employment_start": "就业开始日期",
    "fare": "实际交通费",
    "wages_paid": "已发工资额",
    "training_months": "以工代训月数",
    "course_id": "培训班次",
    "course_days": "培训天数",
    "course_end": "结业日期",
    "course_completed": "是否结业",
    "operating_normally": "是否正常经营",
    "month": "补贴月份",
    "attendance_days": "出勤天数",
}


# Dates a claim can speak of: 9999-12-31 is refused as it is read, before any date arithmetic.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def in_range(value: date, name: str) -> date:
    from ..errors import ValidationFailed

    if not EARLIEST <= value <= LATEST:
        raise ValidationFailed(
            "validation.date_range",
            f"“{FACT_LABELS[name]}”须在{EARLIEST.year}年至{LATEST.year}年之间",
            field=name,
        )
    return value


def facts_from_record(record: dict[str, object]) -> ClaimFacts:
    """Parse facts as they arrive (JSON, a list row) or as stored; errors name the field."""
    from ..errors import ValidationFailed
    from ..money import parse_yuan

    unknown = set(record) - set(FACT_LABELS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationFailed("validation.unknown_field", f"不认识的字段“{field}”", field=field)

    def text(name: str) -> str | None:
        value = record.get(name)
        return None if value is None or str(value).strip() == "" else str(value).strip()

    def day(name: str) -> date | None:
        value = record.get(name)
        if isinstance(value, date):
            return in_range(value, name)
        raw = text(name)
        if raw is None:
            return None
        try:
            value = date.fromisoformat(raw[:10])
        except ValueError:
            raise ValidationFailed(
                "validation.date", f"“{FACT_LABELS[name]}”须为日期（YYYY-MM-DD）", field=name
            ) from None
        return in_range(value, name)

    def whole(name: str) -> int | None:
        raw = text(name)
        if raw is None:
            return None
        if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
            raise ValidationFailed("validation.integer", f"“{FACT_LABELS[name]}”须为整数", field=name)
        number = int(raw)
        if not 0 <= number <= ABSOLUTE_WHOLE:
            raise ValidationFailed(
                "validation.integer_range",
                f"“{FACT_LABELS[name]}”须在0到{ABSOLUTE_WHOLE}之间",
                field=name,
            )
        return number

    def flag(name: str) -> bool:
        value = record.get(name)
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes", "是", "y"}

    def money(name: str) -> Decimal | None:
        raw = text(name)
        return None if raw is None else parse_yuan(raw, name)

    return ClaimFacts(
        destination=text("destination"),
        employment_start=day("employment_start"),
        fare=money("fare"),
        wages_paid=money("wages_paid"),
        training_months=whole("training_months"),
        course_id=text("course_id"),
        course_days=whole("course_days"),
        course_end=day("course_end"),
        course_completed=flag("course_completed"),
        operating_normally=flag("operating_normally"),
        month=text("month"),
        attendance_days=whole("attendance_days"),
    )


def facts_to_record(facts: ClaimFacts) -> dict[str, object]:
    """The JSON form that is stored: only the facts given, dates and money as strings."""
    record: dict[str, object] = {}
    for name in FACT_LABELS:
        value = getattr(facts, name)
        if value is None or value is False:
            continue
        record[name] = (
            value if isinstance(value, bool | int) and not isinstance(value, Decimal) else str(value)
        )
    return record
