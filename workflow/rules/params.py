"""Policy-year parameters: data the bureau changes every year, not code."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from . import limits


@dataclass(frozen=True)
class PolicyParams:
    year: int
    labour_export_out_province: Decimal  # 省外转移 per person
    labour_export_in_province: Decimal  # 县外省内转移 per person
    transport_cap_out_province: Decimal  # 交通补助 at most, 省外
    transport_cap_in_province: Decimal  # 交通补助 at most, 县外省内
    migrant_work_reward_amount: Decimal  # 外出务工奖补, set by the county each year
    employment_base_amount: Decimal  # 就业帮扶基地 per absorbed person
    absorption_wage_rate: Decimal  # 创业补贴 / 车间奖补: share of wages paid
    absorption_min_persons: int  # 吸纳5人（含5人）以上
    absorption_min_months: int  # 就业1个月以上
    stable_employment_months: int  # 稳定就业3个月以上
    wft_monthly_amount: Decimal  # 以工代训 per person-month
    wft_max_months: int  # 最长不超过6个月
    training_living_per_day: Decimal  # 培训生活费补贴 per day
    training_transport_amount: Decimal  # 培训交通费补贴 per course
    exclusion_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Bounds (``workflow.rules.limits``): each fact's largest value, each type's ceiling per
    # claim, and the ordinary amount above which two reviewers approve.
    fact_limits: dict[str, Decimal] = field(default_factory=lambda: dict(limits.FACT_LIMITS))
    claim_ceilings: dict[str, Decimal] = field(default_factory=lambda: dict(limits.CLAIM_CEILINGS))
    second_approval_above: dict[str, Decimal] = field(
        default_factory=lambda: dict(limits.SECOND_APPROVAL_ABOVE)
    )

    def exclusion_group_of(self, subsidy_type: str) -> str | None:
        for name, members in self.exclusion_groups.items():
            if subsidy_type in members:
                return name
        return None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                value = str(value)
            elif f.name == "exclusion_groups":
                value = {k: list(v) for k, v in value.items()}
            elif f.name in limits.DEFAULTS:
                value = limits.record_of(value)
            record[f.name] = value
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PolicyParams:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in limits.DEFAULTS:  # a year stored before limits existed: the defaults
                values[f.name] = limits.from_record(f.name, record.get(f.name))
                continue
            raw = record[f.name]
            if f.type == "Decimal":
                values[f.name] = Decimal(str(raw))
            elif f.name == "exclusion_groups":
                values[f.name] = {k: tuple(v) for k, v in (raw or {}).items()}
            else:
                values[f.name] = int(raw)
        return cls(**values)


# The plan's figures for 2026. Where the plan names a subsidy but no figure
# (外出务工奖补, 以工代训 monthly amount, training allowances), the values here are
# the demo county's and must be set by the bureau for its own year.
DEMO_2026 = PolicyParams(
    year=2026,
    labour_export_out_province=Decimal("300"),
    labour_export_in_province=Decimal("200"),
    transport_cap_out_province=Decimal("1000"),
    transport_cap_in_province=Decimal("500"),
    migrant_work_reward_amount=Decimal("500"),
    employment_base_amount=Decimal("1000"),
    absorption_wage_rate=Decimal("0.15"),
    absorption_min_persons=5,
    absorption_min_months=1,
    stable_employment_months=3,
    wft_monthly_amount=Decimal("500"),
    wft_max_months=6,
    training_living_per_day=Decimal("50"),
    training_transport_amount=Decimal("100"),
    exclusion_groups={"outbound_travel": ("transport_subsidy", "migrant_work_reward")},
)


def plan_defaults(year: int) -> PolicyParams:
    """A first policy year's figures, when there is no year to copy: the plan's own figures,
    and for those the plan leaves to the bureau (``figures.BUREAU_FIGURES``) the values above,
    which stay marked 「由县人社局按年度设定」 until the bureau confirms or changes them."""
    return replace(DEMO_2026, year=year)
