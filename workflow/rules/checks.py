"""What a subsidy rule gives back (``RuleOutcome``) or raises (``violation``), and the checks
that several rules share: a required figure, a target person, months of stable employment,
work out of the county, the kind of claimant, and the per-person dedupe key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..dates import add_months
from ..errors import RuleViolation, ValidationFailed
from ..states import DESTINATION_LABELS
from .facts import ClaimDraft, OtherClaim
from .params import PolicyParams


@dataclass(frozen=True)
class RuleOutcome:
    amount: Decimal
    rule: str  # which rule computed it, e.g. "labour_export_service.out_of_province"
    explanation: str  # the same in plain Chinese, for the case page and the 审批表
    dedupe_key: str  # one live claim per key: the database holds it unique
    exclusion_key: str | None = None  # one live claim per key across an exclusion group
    absorbed: int | None = None  # absorption types: the persons counted towards the threshold


Rule = Callable[[ClaimDraft, PolicyParams, Sequence[OtherClaim], date], RuleOutcome]


def violation(rule: str, message: str, **details: object) -> RuleViolation:
    return RuleViolation(f"rule.{rule}", message, **details)


def need(value: object, field: str, label: str) -> None:
    if value is None:
        raise ValidationFailed("validation.required", f"缺少“{label}”", field=field)
    if isinstance(value, Decimal | int) and value < 0:
        raise ValidationFailed("validation.negative_amount", f"“{label}”不能为负数", field=field)


def require_target_group(draft: ClaimDraft) -> None:
    if not draft.person.target_groups:
        raise violation(
            "not_target_group", "该人员不属于脱贫人口、易地搬迁人口或农村低收入人口，不符合补贴条件"
        )


def require_employed_for(draft: ClaimDraft, months: int, today: date) -> None:
    start = draft.facts.employment_start
    need(start, "employment_start", "就业开始日期")
    assert start is not None
    earliest = add_months(start, months)
    if today < earliest:
        raise violation(
            "employment_too_short",
            f"须稳定就业满{months}个月，最早可于{earliest.isoformat()}申报",
            months=months,
            earliest=earliest.isoformat(),
        )


def require_out_of_county(draft: ClaimDraft) -> str:
    dest = draft.facts.destination
    need(dest, "destination", "务工地点")
    if dest not in DESTINATION_LABELS:
        raise ValidationFailed(
            "validation.destination", "务工地点须为省外、县外省内或县内之一", field="destination"
        )
    if dest == "in_county":
        raise violation("no_subsidy_in_county", "县内就业不享受此项补贴")
    assert dest is not None
    return dest


def require_claimant_kind(draft: ClaimDraft, kinds: set[str], rule: str, message: str) -> None:
    if draft.claimant.kind not in kinds:
        raise violation(rule, message, claimant_kind=draft.claimant.kind)


def person_key(draft: ClaimDraft, scope: str) -> str:
    return f"{draft.subsidy_type}:p{draft.person.id}:{scope}"
