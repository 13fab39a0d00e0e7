"""The public-welfare post rule (公益性岗位, 在岗领补): a month of a contract, prorated by the
days on the post the village confirms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from ..errors import ValidationFailed
from ..money import yuan
from .checks import RuleOutcome, violation
from .facts import ClaimDraft, OtherClaim
from .params import PolicyParams
from .post_days import FORMULA, explain, month_bounds, post_month, prorate


def public_welfare_post(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    """在岗领补: a month the contract covers, once it is over, prorated by the days on the
    post that the village confirms (the contract's 第三条, ``post_days.RULE_TEXT``)."""
    c = d.contract
    month = d.facts.month
    first, last = month_bounds(month)
    assert month is not None
    if c is None or c.person_id != d.person.id:
        raise violation("no_active_contract_for_month", "该人员在该月份没有公益性岗位协议")
    if c.state not in ("active", "expired", "terminated") or c.start_date > last or c.end_date < first:
        raise violation("no_active_contract_for_month", f"{month}不在有效的公益性岗位协议期内", month=month)
    if c.terminated_on is not None and c.terminated_on < first:
        raise violation(
            "month_after_termination",
            f"该协议已于{c.terminated_on.isoformat()}有序退岗，{month}不能申领岗位补贴",
            month=month,
            terminated_on=c.terminated_on.isoformat(),
        )
    if today <= last:
        raise violation(
            "month_not_ended",
            f"{month}尚未结束，岗位补贴须在当月结束后（{last.isoformat()}之后）按核实的出勤天数申领",
            month=month,
            earliest=(last + timedelta(days=1)).isoformat(),
        )
    if d.month_workdays is None:
        raise ValueError("the store gives the month's working days with a post claim")
    end = min(c.end_date, c.terminated_on or c.end_date)
    pm = post_month(month, d.month_workdays, c.start_date, end)
    if pm.covered == 0:
        raise violation("no_working_day_in_month", f"{month}协议期内没有法定工作日，无岗位补贴", month=month)
    key = f"{d.subsidy_type}:c{c.id}:{month}"
    monthly = yuan(c.monthly_subsidy)
    days = d.facts.attendance_days
    if days is None:  # opened before the village confirms: the most the month can pay
        most = prorate(monthly, pm.covered, pm.working_days)
        return RuleOutcome(
            most,
            "public_welfare_post.awaiting_attendance",
            f"{month}当月法定工作日{pm.working_days}天，协议期内工作日"
            f"{pm.covered}天；待村级核实出勤天数后按{FORMULA}计算，"
            f"最多{most}元",
            key,
        )
    if days < 1:
        raise ValidationFailed(
            "validation.attendance_days",
            "“出勤天数”至少为1天；当月未出勤的，请退回并注明原因",
            field="attendance_days",
        )
    if days > pm.covered:
        raise ValidationFailed(
            "validation.attendance_days_over_maximum",
            f"“出勤天数”不能超过{month}协议期内的法定工作日天数（最多{pm.covered}天）",
            field="attendance_days",
            maximum=pm.covered,
        )
    amount = prorate(monthly, days, pm.working_days)
    return RuleOutcome(amount, "public_welfare_post", explain(monthly, days, pm, amount), key)
