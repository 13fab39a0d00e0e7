"""Bounds on the money a claim can ask for, per policy year: what each fact may say, the most
one claim of a type may come to, and the ordinary range above which a second approver signs.

The plan fixes some amounts (300 元 per person, at most 1,000 元 fare) but leaves the facts that
multiply them open: a training course's days, the wages a business paid, the fare someone
spent. Nothing in a list template binds the JSON API, so the rules bound them here, from the
claim's own policy year, and refuse with the fact's name and the year's limit:

- ``fact_limits``: the largest value a fact that feeds an amount may take (培训天数 at most 60
  days, 实际交通费 at most 5,000 元, 已发工资额 at most 200,000 元);
- ``claim_ceilings``: the most one claim of each subsidy type may come to: above it the claim is
  refused, whatever the facts;
- ``second_approval_above``: the ordinary range of each type: an amount above it is approved by
  two different HR reviewers (``approve_large`` then ``countersign`` in ``workflow.machines``),
  as acceptance thresholds in cash-transfer programmes do.

The figures below are the demo county's; the bureau sets its own on the policy page.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ValidationFailed
from ..money import yuan
from ..states import SUBSIDY_LABELS, SubsidyType

T = SubsidyType

# The facts that feed an amount and that no other rule bounds, with their unit (以工代训月数 is
# bounded by the year's 最长月数, 出勤天数 by the month's working days on the post).
LIMITED_FACTS: dict[str, tuple[str, str]] = {
    "course_days": ("培训天数", "天"),
    "fare": ("实际交通费", "元"),
    "wages_paid": ("已发工资额", "元"),
}
WHOLE_FACTS = frozenset({"course_days"})

FACT_LIMITS: dict[str, Decimal] = {
    "course_days": Decimal(60),
    "fare": Decimal(5000),
    "wages_paid": Decimal(200000),
}
# The types whose amount the facts drive; the others pay a figure of the year (300 元 per person,
# at most 1,000 元 fare, ...), which is their ceiling unless the bureau sets a lower one.
VARIABLE = (
    T.STARTUP_SUBSIDY,
    T.WORKSHOP_REWARD,
    T.WORK_FOR_TRAINING,
    T.PUBLIC_WELFARE_POST,
    T.TRAINING_ALLOWANCE,
)
FIXED_BY: dict[str, tuple[str, ...]] = {
    T.LABOUR_EXPORT_SERVICE: ("labour_export_out_province", "labour_export_in_province"),
    T.TRANSPORT_SUBSIDY: ("transport_cap_out_province", "transport_cap_in_province"),
    T.MIGRANT_WORK_REWARD: ("migrant_work_reward_amount",),
    T.EMPLOYMENT_BASE_REWARD: ("employment_base_amount",),
}
CLAIM_CEILINGS: dict[str, Decimal] = {
    T.STARTUP_SUBSIDY: Decimal(30000),
    T.WORKSHOP_REWARD: Decimal(30000),
    T.WORK_FOR_TRAINING: Decimal(6000),
    T.PUBLIC_WELFARE_POST: Decimal(3000),
    T.TRAINING_ALLOWANCE: Decimal(3100),
}
SECOND_APPROVAL_ABOVE: dict[str, Decimal] = {
    T.STARTUP_SUBSIDY: Decimal(5000),
    T.WORKSHOP_REWARD: Decimal(5000),
    T.WORK_FOR_TRAINING: Decimal(3000),
    T.PUBLIC_WELFARE_POST: Decimal(2000),
    T.TRAINING_ALLOWANCE: Decimal(1600),
}
DEFAULTS: dict[str, dict[str, Decimal]] = {
    "fact_limits": FACT_LIMITS,
    "claim_ceilings": CLAIM_CEILINGS,
    "second_approval_above": SECOND_APPROVAL_ABOVE,
}

# What no fact of any year exceeds, checked as a fact is read (before any year is known), so
# that 10³⁰ days never reaches a computation or a database column.
ABSOLUTE_WHOLE = 100_000


def label_of(kind: str, key: str) -> str:
    return LIMITED_FACTS[key][0] if kind == "fact_limits" else SUBSIDY_LABELS.get(key, key)


def unit_of(kind: str, key: str) -> str:
    return LIMITED_FACTS[key][1] if kind == "fact_limits" else "元"


def render(kind: str, value: Mapping[str, Decimal]) -> str:
    """The limits as a page shows them: ``培训天数 60天；已发工资额 200000.00元``."""
    parts = []
    for key, limit in value.items():
        unit = unit_of(kind, key)
        shown = f"{yuan(limit)}" if unit == "元" else f"{int(limit)}"
        parts.append(f"{label_of(kind, key)} {shown}{unit}")
    return "；".join(parts) or "无"


def as_text(value: Mapping[str, Decimal]) -> str:
    """The limits as typed back into a form or the command line: ``key: value; ...``."""
    return "; ".join(f"{key}: {limit:f}" for key, limit in value.items())


def record_of(value: Mapping[str, Decimal]) -> dict[str, str]:
    return {key: f"{limit:f}" for key, limit in value.items()}


def from_record(kind: str, raw: Mapping[str, Any] | None) -> dict[str, Decimal]:
    """Stored limits, completed with the defaults for keys a year stored before they existed."""
    merged = dict(DEFAULTS[kind])
    merged.update({key: Decimal(str(v)) for key, v in (raw or {}).items()})
    return merged


def parse(kind: str, label: str, field: str, text: str) -> dict[str, Decimal]:
    """``key: value; key: value`` as typed; every key of the defaults must be given once (a
    type paying a fixed figure may be given a ceiling or band of its own)."""
    required = tuple(DEFAULTS[kind])
    keys = required if kind == "fact_limits" else tuple(str(t) for t in SubsidyType)
    out: dict[str, Decimal] = {}

    def refuse(code: str, message: str) -> ValidationFailed:
        return ValidationFailed(code, f"“{label}”{message}", field=field)

    for part in filter(None, (p.strip() for p in text.replace("\n", ";").replace("；", ";").split(";"))):
        key, colon, raw = (s.strip() for s in part.replace("：", ":").partition(":"))
        key = next((k for k in keys if label_of(kind, k) == key), key)  # 培训天数: 60 as well
        if not colon or key not in keys:
            raise refuse("validation.limits", f"每项写作“名称: 数值”，名称须为 {', '.join(keys)} 之一")
        if key in out:
            raise refuse("validation.limits", f"中“{key}”写了两次")
        try:
            limit = Decimal(raw.removesuffix("元").strip())
        except InvalidOperation:
            raise refuse("validation.not_a_number", f"中“{key}”须为数字") from None
        whole = kind == "fact_limits" and key in WHOLE_FACTS
        if not limit.is_finite() or limit <= 0 or limit >= Decimal(10) ** 9:
            raise refuse("validation.limit_range", f"中“{key}”须大于0且小于10亿")
        if (whole and limit != limit.to_integral_value()) or limit != limit.quantize(Decimal("0.01")):
            raise refuse(
                "validation.limit_range", f"中“{key}”须为{'整数' if whole else '金额，最多精确到分'}"
            )
        out[key] = limit.quantize(Decimal(1) if whole else Decimal("0.01"))
    missing = [k for k in required if k not in out]
    if missing:
        raise refuse("validation.limits", f"缺少{'、'.join(label_of(kind, k) for k in missing)}")
    return out


def check_facts(facts: Any, limits: Mapping[str, Decimal], year: int) -> None:
    """Every fact that feeds an amount within its year's limit; the refusal names the fact."""
    for name, (label, unit) in LIMITED_FACTS.items():
        value = getattr(facts, name, None)
        if value is None or name not in limits:
            continue
        if Decimal(value) > limits[name]:
            limit = limits[name] if name in WHOLE_FACTS else yuan(limits[name])
            raise ValidationFailed(
                "validation.fact_above_limit",
                f"“{label}”不得超过{limit}{unit}（{year}年度政策参数）",
                field=name,
                limit=str(limit),
            )


def ceiling_of(subsidy_type: str, params: Any) -> Decimal | None:
    """The most one claim of the type may come to: the bureau's ceiling, or the highest figure
    of the year the type pays (None: a type without either, which the table above prevents)."""
    fixed = [getattr(params, name) for name in FIXED_BY.get(subsidy_type, ())]
    own = params.claim_ceilings.get(subsidy_type)
    candidates = [c for c in (own, max(fixed) if fixed else None) if c is not None]
    return min(candidates) if candidates else None


def over_ceiling(subsidy_type: str, amount: Decimal, params: Any) -> Decimal | None:
    """The type's ceiling if ``amount`` exceeds it."""
    ceiling = ceiling_of(subsidy_type, params)
    return ceiling if ceiling is not None and amount > ceiling else None


def ordinary_of(subsidy_type: str, params: Any) -> Decimal | None:
    """Up to which amount one HR reviewer approves: the type's band, else its ceiling."""
    band = params.second_approval_above.get(subsidy_type)
    return band if band is not None else ceiling_of(subsidy_type, params)


def inconsistent(ceilings: Mapping[str, Decimal], bands: Mapping[str, Decimal]) -> str | None:
    """Why a year's bands cannot stand with its ceilings (an ordinary range above the ceiling)."""
    for key, band in bands.items():
        if key in ceilings and band > ceilings[key]:
            return f"{label_of('claim_ceilings', key)}的常规金额上限不能高于单笔上限{yuan(ceilings[key])}元"
    return None
