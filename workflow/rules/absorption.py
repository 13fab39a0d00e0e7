"""The rules for businesses that take on target persons (吸纳就业): the employment-base reward,
and the startup subsidy and workshop reward with their standing "≥ N persons" condition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..money import yuan
from ..states import OrgKind, SubsidyType
from .checks import RuleOutcome, need, person_key, require_employed_for, require_target_group, violation
from .facts import ClaimDraft, OtherClaim
from .params import PolicyParams

T = SubsidyType


def _require_absorbed_since_recognition(d: ClaimDraft, what: str) -> None:
    """Recognition counts from the 认定文件's date: a person taken on before it was absorbed by
    an unrecognised business, whatever the register says today."""
    since, start = d.claimant.recognised_on, d.facts.employment_start
    need(start, "employment_start", "就业开始日期")
    assert start is not None
    if since is not None and start < since:
        doc = f"（{d.claimant.recognition_doc_no}）" if d.claimant.recognition_doc_no else ""
        raise violation(
            "absorbed_before_recognition",
            f"该人员{start.isoformat()}开始就业，早于申报单位被认定为{what}的日期"
            f"{since.isoformat()}{doc}，认定前吸纳的人员不享受此项奖补",
            employment_start=start.isoformat(),
            recognised_on=since.isoformat(),
        )


def employment_base_reward(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    if d.claimant.kind != OrgKind.EMPLOYMENT_BASE or not d.claimant.recognised:
        raise violation("claimant_not_recognised_base", "申报单位不是认定的就业帮扶基地")
    _require_absorbed_since_recognition(d, "就业帮扶基地")
    require_target_group(d)
    require_employed_for(d, p.stable_employment_months, today)
    amount = yuan(p.employment_base_amount)
    return RuleOutcome(
        amount,
        "employment_base_reward",
        f"就业帮扶基地吸纳稳定就业满{p.stable_employment_months}个月，每吸纳1人奖补{amount}元",
        person_key(d, f"o{d.claimant.id}"),
    )


ABSORPTION = frozenset({T.STARTUP_SUBSIDY, T.WORKSHOP_REWARD})


def absorbed_persons(d: ClaimDraft, others: Sequence[OtherClaim]) -> frozenset[int]:
    """The target persons the claimant's live claims of this type name, in any year and
    however they were filed (alone or in lists), this claim's person included."""
    same = {
        o.person_id for o in others if o.subsidy_type == d.subsidy_type and o.claimant_id == d.claimant.id
    }
    return frozenset(same | {d.person.id})


def absorption_short(count: int, p: PolicyParams) -> str | None:
    """Why a business's absorption claims cannot be approved yet, or None when they can.
    The "≥ 5 persons" rule is a standing condition: a claim filed below it is kept and waits,
    and HR's approval checks it again against the claims still live then."""
    if count >= p.absorption_min_persons:
        return None
    return (
        f"须吸纳{p.absorption_min_persons}人（含）以上目标人员就业{p.absorption_min_months}"
        f"个月以上，本单位目前计入{count}人，暂不能审核通过"
    )


def _absorption(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date, what: str
) -> RuleOutcome:
    require_target_group(d)
    require_employed_for(d, p.absorption_min_months, today)
    count = len(absorbed_persons(d, others)) + d.absorbed_elsewhere
    need(d.facts.wages_paid, "wages_paid", "已发工资额")
    assert d.facts.wages_paid is not None
    amount = yuan(yuan(d.facts.wages_paid) * p.absorption_wage_rate)
    rate = f"{(p.absorption_wage_rate * 100).normalize()}%"
    waits = (
        ""
        if d.absorbed_capped or count >= p.absorption_min_persons
        else f"（须达到{p.absorption_min_persons}人方可审核通过）"
    )
    return RuleOutcome(
        amount,
        d.subsidy_type,
        f"{what}目前计入吸纳目标人员{count}人{'以上' if d.absorbed_capped else ''}{waits}，按发给该人员工资额"
        f"{yuan(d.facts.wages_paid)}元的{rate}计算",
        person_key(d, f"o{d.claimant.id}"),
        absorbed=count,
    )


def startup_subsidy(d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date) -> RuleOutcome:
    if not d.claimant.first_business:
        raise violation("not_first_business", "仅首次创办经营实体的可申请一次性创业补贴")
    if not d.facts.operating_normally:
        raise violation("not_operating_normally", "经营实体须正常经营")
    return _absorption(d, p, others, today, "首次创业且正常经营，")


def workshop_reward(d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date) -> RuleOutcome:
    if d.claimant.kind != OrgKind.WORKSHOP or not d.claimant.recognised:
        raise violation("claimant_not_recognised_workshop", "申报单位不是认定的就业帮扶车间")
    _require_absorbed_since_recognition(d, "就业帮扶车间")
    return _absorption(d, p, others, today, "就业帮扶车间")
