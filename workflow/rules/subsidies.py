"""Eligibility and amount for each subsidy type of the plan, as pure functions.

``evaluate`` either returns the amount with the rule that produced it and the keys
that the database's unique constraints hold, or raises ``RuleViolation`` naming
the rule that failed. It reads no clock and no database: ``today`` and the other
claims are passed in.

The rules themselves sit by family: ``outbound`` (work away from home), ``absorption``
(businesses taking people on), ``training`` and ``welfare_post``; what they share is in
``checks``. This module holds who is paid, which rule serves which type, and ``evaluate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..errors import ValidationFailed
from ..states import SubsidyType
from .absorption import employment_base_reward, startup_subsidy, workshop_reward
from .checks import Rule, RuleOutcome, violation
from .facts import ClaimDraft, OtherClaim
from .limits import check_facts, over_ceiling
from .outbound import labour_export_service, migrant_work_reward, transport_subsidy
from .params import PolicyParams
from .training import training_allowance, work_for_training
from .welfare_post import public_welfare_post

T = SubsidyType

# Who receives the money, per subsidy type.
PAYEE: dict[str, str] = {
    T.LABOUR_EXPORT_SERVICE: "claimant",
    T.TRANSPORT_SUBSIDY: "person",
    T.MIGRANT_WORK_REWARD: "person",
    T.EMPLOYMENT_BASE_REWARD: "claimant",
    T.STARTUP_SUBSIDY: "claimant",
    T.WORKSHOP_REWARD: "claimant",
    T.WORK_FOR_TRAINING: "claimant",
    T.PUBLIC_WELFARE_POST: "person",
    T.TRAINING_ALLOWANCE: "person",
}


def payee_of(subsidy_type: str) -> str:
    return PAYEE[subsidy_type]


RULES: dict[str, Rule] = {
    T.LABOUR_EXPORT_SERVICE: labour_export_service,
    T.TRANSPORT_SUBSIDY: transport_subsidy,
    T.MIGRANT_WORK_REWARD: migrant_work_reward,
    T.EMPLOYMENT_BASE_REWARD: employment_base_reward,
    T.STARTUP_SUBSIDY: startup_subsidy,
    T.WORKSHOP_REWARD: workshop_reward,
    T.WORK_FOR_TRAINING: work_for_training,
    T.PUBLIC_WELFARE_POST: public_welfare_post,
    T.TRAINING_ALLOWANCE: training_allowance,
}


def evaluate(
    draft: ClaimDraft, params: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    """Check every rule for the claim against the other live claims; the amount, or why not."""
    rule = RULES.get(draft.subsidy_type)
    if rule is None:
        raise ValidationFailed("validation.subsidy_type", "未知的补贴类型", field="subsidy_type")
    if draft.policy_year != params.year:
        raise ValidationFailed("validation.policy_year", "政策年度参数与申报年度不一致", field="policy_year")
    check_facts(draft.facts, params.fact_limits, params.year)
    outcome = rule(draft, params, others, today)
    ceiling = over_ceiling(draft.subsidy_type, outcome.amount, params)
    if ceiling is not None:
        raise violation(
            "amount_above_ceiling",
            f"计算金额{outcome.amount}元超过该类补贴单笔上限{ceiling}元（{params.year}年度政策参数），不予受理",
            amount=str(outcome.amount),
            ceiling=str(ceiling),
        )
    if any(o.dedupe_key == outcome.dedupe_key for o in others):
        raise violation("duplicate", "该人员已有同类补贴申请，不得重复申请", key=outcome.dedupe_key)
    if outcome.exclusion_key and any(o.exclusion_key == outcome.exclusion_key for o in others):
        raise violation("exclusive_with", "同一年度不能同时享受一次性外出务工交通补助和一次性外出务工奖补")
    return outcome
