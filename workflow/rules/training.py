"""The training rules: the work-for-training subsidy (以工代训, once per person) and the
training allowance for a completed course (培训补贴)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..dates import add_months
from ..errors import ValidationFailed
from ..money import yuan
from ..states import OrgKind
from .checks import RuleOutcome, need, person_key, require_claimant_kind, require_target_group, violation
from .facts import ClaimDraft, OtherClaim
from .params import PolicyParams


def work_for_training(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    require_claimant_kind(
        d,
        {OrgKind.ENTERPRISE, OrgKind.WORKSHOP, OrgKind.EMPLOYMENT_BASE},
        "claimant_kind_not_eligible",
        "以工代训补贴由吸纳就业的企业、车间等生产经营主体申请",
    )
    require_target_group(d)
    if any(o.subsidy_type == d.subsidy_type and o.person_id == d.person.id for o in others):
        raise violation("already_received", "该人员已享受过以工代训职业培训补贴，不得再次享受")
    months = d.facts.training_months
    need(months, "training_months", "以工代训月数")
    assert months is not None
    if months < 1:
        raise ValidationFailed("validation.training_months", "以工代训月数至少为1", field="training_months")
    if months > p.wft_max_months:
        raise violation(
            "training_months_over_cap", f"以工代训补贴最长不超过{p.wft_max_months}个月", months=months
        )
    need(d.facts.employment_start, "employment_start", "就业开始日期")
    assert d.facts.employment_start is not None
    served = add_months(d.facts.employment_start, months)
    if today < served:
        raise violation(
            "training_not_served",
            f"以工代训{months}个月尚未期满，最早可于{served.isoformat()}申报",
            earliest=served.isoformat(),
        )
    amount = yuan(p.wft_monthly_amount * months)
    return RuleOutcome(
        amount,
        "work_for_training",
        f"以工代训{months}个月，每月{yuan(p.wft_monthly_amount)}元",
        f"{d.subsidy_type}:p{d.person.id}",
    )  # lifetime: once per person


def training_allowance(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    require_target_group(d)
    need(d.facts.course_id, "course_id", "培训班次")
    if not d.facts.course_completed:
        raise violation("course_not_completed", "须完成培训课程后方可申领培训补贴")
    days = d.facts.course_days
    need(days, "course_days", "培训天数")
    assert days is not None
    if days < 1:
        raise ValidationFailed("validation.course_days", "培训天数至少为1", field="course_days")
    need(d.facts.course_end, "course_end", "结业日期")
    assert d.facts.course_end is not None
    if d.facts.course_end > today:
        raise violation(
            "course_not_completed",
            f"结业日期{d.facts.course_end.isoformat()}尚未到，须完成培训课程后方可申领培训补贴",
        )
    amount = yuan(p.training_living_per_day * days + p.training_transport_amount)
    return RuleOutcome(
        amount,
        "training_allowance",
        f"参加培训{days}天，生活费{yuan(p.training_living_per_day)}元/天，"
        f"交通费{yuan(p.training_transport_amount)}元",
        person_key(d, f"k{d.facts.course_id}"),
    )
