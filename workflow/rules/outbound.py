"""The rules for work away from home (外出务工): the organised labour-export service fee, the
one-off transport subsidy and the migrant-work reward (the last two exclude each other)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..money import yuan
from ..states import DESTINATION_LABELS, OrgKind
from .checks import (
    RuleOutcome,
    need,
    person_key,
    require_claimant_kind,
    require_employed_for,
    require_out_of_county,
    require_target_group,
)
from .facts import ClaimDraft, OtherClaim
from .params import PolicyParams


def labour_export_service(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    require_claimant_kind(
        d,
        {OrgKind.HR_AGENCY, OrgKind.VILLAGE_COMMITTEE, OrgKind.LABOUR_BROKER},
        "claimant_kind_not_eligible",
        "有组织劳务输出服务补助仅限人力资源服务机构、村委会和劳务经纪人申请",
    )
    require_target_group(d)
    dest = require_out_of_county(d)
    require_employed_for(d, p.stable_employment_months, today)
    amount = p.labour_export_out_province if dest == "out_of_province" else p.labour_export_in_province
    return RuleOutcome(
        yuan(amount),
        f"labour_export_service.{dest}",
        f"{DESTINATION_LABELS[dest]}转移就业，稳定就业满{p.stable_employment_months}"
        f"个月，按{yuan(amount)}元/人补助（每人每年一次）",
        person_key(d, f"y{d.policy_year}"),
    )


def _outbound_travel(d: ClaimDraft, p: PolicyParams) -> str | None:
    group = p.exclusion_group_of(d.subsidy_type)
    return f"excl:{group}:p{d.person.id}:y{d.policy_year}" if group else None


def transport_subsidy(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    require_target_group(d)
    dest = require_out_of_county(d)
    require_employed_for(d, p.stable_employment_months, today)
    need(d.facts.fare, "fare", "实际交通费")
    assert d.facts.fare is not None
    cap = p.transport_cap_out_province if dest == "out_of_province" else p.transport_cap_in_province
    amount = min(yuan(d.facts.fare), yuan(cap))
    capped = "（超出部分不予补助）" if yuan(d.facts.fare) > cap else ""
    return RuleOutcome(
        amount,
        f"transport_subsidy.{dest}",
        f"{DESTINATION_LABELS[dest]}务工，按实际交通费{yuan(d.facts.fare)}元补助，最高{yuan(cap)}元{capped}",
        person_key(d, f"y{d.policy_year}"),
        _outbound_travel(d, p),
    )


def migrant_work_reward(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    require_target_group(d)
    require_out_of_county(d)
    require_employed_for(d, p.stable_employment_months, today)
    amount = yuan(p.migrant_work_reward_amount)
    return RuleOutcome(
        amount,
        "migrant_work_reward",
        f"外出务工稳定就业满{p.stable_employment_months}个月，按{d.policy_year}年度标准奖补{amount}元",
        person_key(d, f"y{d.policy_year}"),
        _outbound_travel(d, p),
    )
