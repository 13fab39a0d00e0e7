"""The figures of a policy year as the bureau edits them: unit, meaning, the plan's value, checks.

The plan gives some figures (300/200 元, at most 1000/500 元, 1000 元, 15 %, 5 persons, 1 and 3
months, at most 6 months) and names others without one (外出务工奖补, 以工代训 per month,
培训生活费/交通费): those are the bureau's, and are shown as such until it confirms them.

Why this is one module of 340 lines: half of it is the table of the figures (``FIGURES``, each
a few lines of data), the rest shows and parses the same figures by their kind; the policy
pages, the policy versions and the locale read both from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import ValidationFailed
from ..money import parse_yuan, yuan
from ..states import SUBSIDY_LABELS, SubsidyType
from . import limits
from .params import PolicyParams

BUREAU_MARK = "由县人社局按年度设定"
MONEY, RATE, COUNT, GROUPS, LIMITS = "money", "rate", "count", "groups", "limits"
PLAN_GROUPS = {"outbound_travel": ("transport_subsidy", "migrant_work_reward")}


@dataclass(frozen=True)
class Figure:
    name: str  # the PolicyParams field
    label: str
    unit: str
    explanation: str  # one line, for the admin and the case page
    kind: str
    plan: Any = None  # the plan's value, None where the plan gives none
    plan_text: str = ""  # how the plan states it (≤, ≥)
    low: int = 0  # bounds of a count
    high: int = 0


FIGURES: tuple[Figure, ...] = (
    Figure(
        "labour_export_out_province",
        "劳务输出服务补助（省外）",
        "元/人",
        "组织目标人员到省外稳定就业，按人每年补助申报单位一次",
        MONEY,
        Decimal("300"),
        "300元/人",
    ),
    Figure(
        "labour_export_in_province",
        "劳务输出服务补助（县外省内）",
        "元/人",
        "组织目标人员到县外省内稳定就业，按人每年补助申报单位一次",
        MONEY,
        Decimal("200"),
        "200元/人",
    ),
    Figure(
        "transport_cap_out_province",
        "外出务工交通补助上限（省外）",
        "元/人",
        "按实际交通费补助，省外就业每人不超过此数",
        MONEY,
        Decimal("1000"),
        "不超过1000元",
    ),
    Figure(
        "transport_cap_in_province",
        "外出务工交通补助上限（县外省内）",
        "元/人",
        "按实际交通费补助，县外省内就业每人不超过此数",
        MONEY,
        Decimal("500"),
        "不超过500元",
    ),
    Figure(
        "migrant_work_reward_amount",
        "一次性外出务工奖补",
        "元/人",
        "外出务工稳定就业的目标人员每年一次的奖补金额（方案未定金额）",
        MONEY,
    ),
    Figure(
        "employment_base_amount",
        "就业帮扶基地吸纳就业奖补",
        "元/人",
        "认定的就业帮扶基地每吸纳1名目标人员稳定就业给予的奖补",
        MONEY,
        Decimal("1000"),
        "1000元/人",
    ),
    Figure(
        "absorption_wage_rate",
        "创业补贴、车间奖补比例",
        "占工资额",
        "一次性创业补贴和就业帮扶车间奖补按发给每人工资额的此比例计算",
        RATE,
        Decimal("0.15"),
        "15%",
    ),
    Figure(
        "absorption_min_persons",
        "吸纳人数下限",
        "人",
        "创业实体、帮扶车间须吸纳目标人员达到此人数（含）方可享受",
        COUNT,
        5,
        "5人（含）以上",
        1,
        1000,
    ),
    Figure(
        "absorption_min_months",
        "吸纳就业最短月数",
        "个月",
        "创业补贴、车间奖补要求被吸纳人员已就业的月数",
        COUNT,
        1,
        "1个月以上",
        1,
        24,
    ),
    Figure(
        "stable_employment_months",
        "稳定就业月数",
        "个月",
        "劳务输出、交通补助、外出务工奖补、基地奖补要求的稳定就业月数",
        COUNT,
        3,
        "3个月以上",
        1,
        24,
    ),
    Figure(
        "wft_monthly_amount",
        "以工代训补贴月标准",
        "元/人·月",
        "以工代训职业培训补贴每人每月的金额（方案未定金额）",
        MONEY,
    ),
    Figure(
        "wft_max_months",
        "以工代训最长月数",
        "个月",
        "以工代训职业培训补贴每人最多享受的月数",
        COUNT,
        6,
        "最长不超过6个月",
        1,
        24,
    ),
    Figure(
        "training_living_per_day",
        "培训生活费补贴",
        "元/人·天",
        "参训学员按培训天数领取的生活费补贴（方案未定金额）",
        MONEY,
    ),
    Figure(
        "training_transport_amount",
        "培训交通费补贴",
        "元/人·期",
        "参训学员每期培训领取的交通费补贴（方案未定金额）",
        MONEY,
    ),
    Figure(
        "exclusion_groups",
        "不得同时享受的补贴",
        "组",
        "同一人同一年度在同一组内只能享受一项补贴",
        GROUPS,
        PLAN_GROUPS,
        "交通补助与外出务工奖补不能同时享受",
    ),
    # Safeguards rather than amounts (``workflow.rules.limits``): the plan gives none.
    Figure(
        "fact_limits",
        "申报事实上限",
        "项",
        "影响金额的申报事实（培训天数、实际交通费、已发工资额）的最大值",
        LIMITS,
    ),
    Figure("claim_ceilings", "单笔补贴上限", "元", "每类补贴单笔申请的最高金额，超过不予受理", LIMITS),
    Figure(
        "second_approval_above",
        "大额复核起点",
        "元",
        "每类补贴单笔金额超过此数的，须由另一名审核人员复核通过",
        LIMITS,
    ),
)
BY_NAME = {f.name: f for f in FIGURES}
# The amounts the plan names without a figure: the bureau confirms each year's.
BUREAU_FIGURES = tuple(f.name for f in FIGURES if f.plan is None and f.kind != LIMITS)

# Which figures each subsidy's rule reads (the case page and the 审批表 show these).
USED_BY: dict[str, tuple[str, ...]] = {
    SubsidyType.LABOUR_EXPORT_SERVICE: (
        "labour_export_out_province",
        "labour_export_in_province",
        "stable_employment_months",
    ),
    SubsidyType.TRANSPORT_SUBSIDY: (
        "transport_cap_out_province",
        "transport_cap_in_province",
        "stable_employment_months",
        "exclusion_groups",
    ),
    SubsidyType.MIGRANT_WORK_REWARD: (
        "migrant_work_reward_amount",
        "stable_employment_months",
        "exclusion_groups",
    ),
    SubsidyType.EMPLOYMENT_BASE_REWARD: ("employment_base_amount", "stable_employment_months"),
    SubsidyType.STARTUP_SUBSIDY: ("absorption_wage_rate", "absorption_min_persons", "absorption_min_months"),
    SubsidyType.WORKSHOP_REWARD: ("absorption_wage_rate", "absorption_min_persons", "absorption_min_months"),
    SubsidyType.WORK_FOR_TRAINING: ("wft_monthly_amount", "wft_max_months"),
    SubsidyType.PUBLIC_WELFARE_POST: (),  # the contract's own monthly subsidy
    SubsidyType.TRAINING_ALLOWANCE: ("training_living_per_day", "training_transport_amount"),
}


@dataclass(frozen=True)
class Shown:
    """One figure of one parameter set, as a page or a form shows it."""

    figure: Figure
    value: Any
    text: str  # the value with its unit
    source: str  # "plan": the plan's figure; "bureau": set by the bureau
    unconfirmed: bool  # a figure the plan does not give, not yet confirmed for the year


def figure(name: str) -> Figure:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValidationFailed("validation.policy_field", f"没有名为“{name}”的政策参数", field=name) from None


def render(f: Figure, value: Any) -> str:
    if f.kind == RATE:
        return f"{(Decimal(value) * 100).normalize():f}%"
    if f.kind == GROUPS:
        return (
            "；".join("、".join(SUBSIDY_LABELS.get(t, t) for t in members) for members in value.values())
            or "无"
        )
    if f.kind == MONEY:
        return f"{yuan(value)}元"
    if f.kind == LIMITS:
        return limits.render(f.name, value)
    return f"{value}{f.unit}"


def groups_text(value: dict[str, tuple[str, ...]]) -> str:
    """The groups as typed back into a form or the command line: ``name: type, type; ...``."""
    return "; ".join(f"{name}: {', '.join(members)}" for name, members in value.items())


def _same(f: Figure, value: Any) -> bool:
    if f.kind == GROUPS:
        return bool({k: tuple(v) for k, v in value.items()} == f.plan)
    return bool(value == f.plan)


def shown(
    params: PolicyParams,
    confirmed: frozenset[str],
    names: tuple[str, ...] | None = None,
) -> list[Shown]:
    out = []
    for f in FIGURES if names is None else tuple(BY_NAME[n] for n in names):
        value = getattr(params, f.name)
        plan = f.plan is not None and _same(f, value)
        out.append(
            Shown(
                f,
                value,
                render(f, value),
                "plan" if plan else "bureau",
                f.name in BUREAU_FIGURES and f.name not in confirmed,
            )
        )
    return out


def _refuse(f: Figure, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(code, f"“{f.label}”{message}", field=f.name)


def parse(name: str, raw: object) -> Any:
    """The value someone typed for a figure, checked; the error names the figure."""
    f = figure(name)
    text = str(raw).strip()
    if f.kind == MONEY:
        try:
            return parse_yuan(text.removesuffix("元"), f.label)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.code, exc.message, field=f.name) from None
    if f.kind == RATE:
        percent = text.endswith(("%", "％"))
        try:
            rate = Decimal(text.rstrip("%％").strip())
        except InvalidOperation:
            raise _refuse(f, "validation.not_a_number", "须为比例，如 15% 或 0.15") from None
        rate = rate / 100 if percent else rate
        if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(1):
            raise _refuse(f, "validation.rate_range", "须在0到1之间（0%到100%）")
        return rate.normalize()
    if f.kind == COUNT:
        if not (text.isascii() and text.isdigit()):
            raise _refuse(f, "validation.integer", "须为整数")
        if not f.low <= int(text) <= f.high:
            raise _refuse(f, "validation.count_range", f"须在{f.low}到{f.high}{f.unit}之间")
        return int(text)
    if f.kind == LIMITS:
        return limits.parse(f.name, f.label, f.name, text)
    return _parse_groups(f, text)


def _parse_groups(f: Figure, text: str) -> dict[str, tuple[str, ...]]:
    groups: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for part in filter(None, (p.strip() for p in text.replace("\n", ";").split(";"))):
        name, colon, rest = part.partition(":")
        members = tuple(filter(None, (m.strip() for m in rest.replace("，", ",").split(","))))
        if not colon or not name.strip() or len(members) < 2:
            raise _refuse(
                f, "validation.exclusion_groups", "每组写作“组名: 补贴类型, 补贴类型”，至少两种补贴"
            )
        for member in members:
            if member not in SubsidyType.__members__.values():
                raise _refuse(f, "validation.subsidy_type", f"中的补贴类型“{member}”不存在")
            if member in seen:
                raise _refuse(f, "validation.exclusion_groups", f"中“{member}”出现在多个组里")
            seen.add(member)
        groups[name.strip()] = members
    return groups


def with_value(params: PolicyParams, name: str, value: Any) -> PolicyParams:
    return replace(params, **{name: value})
