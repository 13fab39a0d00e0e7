"""Eligibility and amount for each subsidy type of the plan, as pure functions.

``evaluate`` either returns the amount with the rule that produced it and the keys
that the database's unique constraints hold, or raises ``RuleViolation`` naming
the rule that failed. It reads no clock and no database: ``today`` and the other
claims are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..dates import add_months
from ..errors import RuleViolation, ValidationFailed
from ..money import yuan
from ..states import DESTINATION_LABELS, OrgKind, SubsidyType
from .facts import ClaimDraft, OtherClaim
from .params import PolicyParams
from .post_days import FORMULA, explain, month_bounds, post_month, prorate

T = SubsidyType


@dataclass(frozen=True)
class RuleOutcome:
    amount: Decimal
    rule: str  # which rule computed it, e.g. "labour_export_service.out_of_province"
    explanation: str  # the same in plain Chinese, for the case page and the 审批表
    dedupe_key: str  # one live claim per key: the database holds it unique
    exclusion_key: str | None = None  # one live claim per key across an exclusion group
    absorbed: int | None = None  # absorption types: the persons counted towards the threshold


Rule = Callable[[ClaimDraft, PolicyParams, Sequence[OtherClaim], date], RuleOutcome]

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


def violation(rule: str, message: str, **details: object) -> RuleViolation:
    return RuleViolation(f"rule.{rule}", message, **details)


def _need(value: object, field: str, label: str) -> None:
    if value is None:
        raise ValidationFailed("validation.required", f"缺少“{label}”", field=field)
    if isinstance(value, Decimal | int) and value < 0:
        raise ValidationFailed("validation.negative_amount", f"“{label}”不能为负数", field=field)


def _require_target_group(draft: ClaimDraft) -> None:
    if not draft.person.target_groups:
        raise violation(
            "not_target_group", "该人员不属于脱贫人口、易地搬迁人口或农村低收入人口，不符合补贴条件"
        )


def _require_employed_for(draft: ClaimDraft, months: int, today: date) -> None:
    start = draft.facts.employment_start
    _need(start, "employment_start", "就业开始日期")
    assert start is not None
    earliest = add_months(start, months)
    if today < earliest:
        raise violation(
            "employment_too_short",
            f"须稳定就业满{months}个月，最早可于{earliest.isoformat()}申报",
            months=months,
            earliest=earliest.isoformat(),
        )


def _require_out_of_county(draft: ClaimDraft) -> str:
    dest = draft.facts.destination
    _need(dest, "destination", "务工地点")
    if dest not in DESTINATION_LABELS:
        raise ValidationFailed(
            "validation.destination", "务工地点须为省外、县外省内或县内之一", field="destination"
        )
    if dest == "in_county":
        raise violation("no_subsidy_in_county", "县内就业不享受此项补贴")
    assert dest is not None
    return dest


def _require_claimant_kind(draft: ClaimDraft, kinds: set[str], rule: str, message: str) -> None:
    if draft.claimant.kind not in kinds:
        raise violation(rule, message, claimant_kind=draft.claimant.kind)


def _key(draft: ClaimDraft, scope: str) -> str:
    return f"{draft.subsidy_type}:p{draft.person.id}:{scope}"


def labour_export_service(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    _require_claimant_kind(
        d,
        {OrgKind.HR_AGENCY, OrgKind.VILLAGE_COMMITTEE, OrgKind.LABOUR_BROKER},
        "claimant_kind_not_eligible",
        "有组织劳务输出服务补助仅限人力资源服务机构、村委会和劳务经纪人申请",
    )
    _require_target_group(d)
    dest = _require_out_of_county(d)
    _require_employed_for(d, p.stable_employment_months, today)
    amount = p.labour_export_out_province if dest == "out_of_province" else p.labour_export_in_province
    return RuleOutcome(
        yuan(amount),
        f"labour_export_service.{dest}",
        f"{DESTINATION_LABELS[dest]}转移就业，稳定就业满{p.stable_employment_months}"
        f"个月，按{yuan(amount)}元/人补助（每人每年一次）",
        _key(d, f"y{d.policy_year}"),
    )


def _outbound_travel(d: ClaimDraft, p: PolicyParams) -> str | None:
    group = p.exclusion_group_of(d.subsidy_type)
    return f"excl:{group}:p{d.person.id}:y{d.policy_year}" if group else None


def transport_subsidy(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    _require_target_group(d)
    dest = _require_out_of_county(d)
    _require_employed_for(d, p.stable_employment_months, today)
    _need(d.facts.fare, "fare", "实际交通费")
    assert d.facts.fare is not None
    cap = p.transport_cap_out_province if dest == "out_of_province" else p.transport_cap_in_province
    amount = min(yuan(d.facts.fare), yuan(cap))
    capped = "（超出部分不予补助）" if yuan(d.facts.fare) > cap else ""
    return RuleOutcome(
        amount,
        f"transport_subsidy.{dest}",
        f"{DESTINATION_LABELS[dest]}务工，按实际交通费{yuan(d.facts.fare)}元补助，最高{yuan(cap)}元{capped}",
        _key(d, f"y{d.policy_year}"),
        _outbound_travel(d, p),
    )


def migrant_work_reward(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    _require_target_group(d)
    _require_out_of_county(d)
    _require_employed_for(d, p.stable_employment_months, today)
    amount = yuan(p.migrant_work_reward_amount)
    return RuleOutcome(
        amount,
        "migrant_work_reward",
        f"外出务工稳定就业满{p.stable_employment_months}个月，按{d.policy_year}年度标准奖补{amount}元",
        _key(d, f"y{d.policy_year}"),
        _outbound_travel(d, p),
    )


def _require_absorbed_since_recognition(d: ClaimDraft, what: str) -> None:
    """Recognition counts from the 认定文件's date: a person taken on before it was absorbed by
    an unrecognised business, whatever the register says today."""
    since, start = d.claimant.recognised_on, d.facts.employment_start
    _need(start, "employment_start", "就业开始日期")
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
    _require_target_group(d)
    _require_employed_for(d, p.stable_employment_months, today)
    amount = yuan(p.employment_base_amount)
    return RuleOutcome(
        amount,
        "employment_base_reward",
        f"就业帮扶基地吸纳稳定就业满{p.stable_employment_months}个月，每吸纳1人奖补{amount}元",
        _key(d, f"o{d.claimant.id}"),
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
    _require_target_group(d)
    _require_employed_for(d, p.absorption_min_months, today)
    count = len(absorbed_persons(d, others))
    _need(d.facts.wages_paid, "wages_paid", "已发工资额")
    assert d.facts.wages_paid is not None
    amount = yuan(yuan(d.facts.wages_paid) * p.absorption_wage_rate)
    rate = f"{(p.absorption_wage_rate * 100).normalize()}%"
    waits = "" if count >= p.absorption_min_persons else f"（须达到{p.absorption_min_persons}人方可审核通过）"
    return RuleOutcome(
        amount,
        d.subsidy_type,
        f"{what}目前计入吸纳目标人员{count}人{waits}，按发给该人员工资额"
        f"{yuan(d.facts.wages_paid)}元的{rate}计算",
        _key(d, f"o{d.claimant.id}"),
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


def work_for_training(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    _require_claimant_kind(
        d,
        {OrgKind.ENTERPRISE, OrgKind.WORKSHOP, OrgKind.EMPLOYMENT_BASE},
        "claimant_kind_not_eligible",
        "以工代训补贴由吸纳就业的企业、车间等生产经营主体申请",
    )
    _require_target_group(d)
    if any(o.subsidy_type == d.subsidy_type and o.person_id == d.person.id for o in others):
        raise violation("already_received", "该人员已享受过以工代训职业培训补贴，不得再次享受")
    months = d.facts.training_months
    _need(months, "training_months", "以工代训月数")
    assert months is not None
    if months < 1:
        raise ValidationFailed("validation.training_months", "以工代训月数至少为1", field="training_months")
    if months > p.wft_max_months:
        raise violation(
            "training_months_over_cap", f"以工代训补贴最长不超过{p.wft_max_months}个月", months=months
        )
    _need(d.facts.employment_start, "employment_start", "就业开始日期")
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


def training_allowance(
    d: ClaimDraft, p: PolicyParams, others: Sequence[OtherClaim], today: date
) -> RuleOutcome:
    _require_target_group(d)
    _need(d.facts.course_id, "course_id", "培训班次")
    if not d.facts.course_completed:
        raise violation("course_not_completed", "须完成培训课程后方可申领培训补贴")
    days = d.facts.course_days
    _need(days, "course_days", "培训天数")
    assert days is not None
    if days < 1:
        raise ValidationFailed("validation.course_days", "培训天数至少为1", field="course_days")
    _need(d.facts.course_end, "course_end", "结业日期")
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
        _key(d, f"k{d.facts.course_id}"),
    )


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
    outcome = rule(draft, params, others, today)
    if any(o.dedupe_key == outcome.dedupe_key for o in others):
        raise violation("duplicate", "该人员已有同类补贴申请，不得重复申请", key=outcome.dedupe_key)
    if outcome.exclusion_key and any(o.exclusion_key == outcome.exclusion_key for o in others):
        raise violation("exclusive_with", "同一年度不能同时享受一次性外出务工交通补助和一次性外出务工奖补")
    return outcome
