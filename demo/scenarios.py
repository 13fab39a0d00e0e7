"""What the demo county's cases are to show: how many claims of each type end in each state,
the ways they take there and at what pace, the comments staff write, the contract histories.
"""

from __future__ import annotations

from workflow.states import ClaimState, SubsidyType

from .timeline import claim_path

T = SubsidyType
S = ClaimState

# How many claims of each type end in each state (startup and workshop are filed in lists).
# Only a training allowance of a long course comes above its type's ordinary range in the demo
# (the last column: 大额待复核, awaiting the second HR reviewer).
MIX: dict[str, tuple[int, ...]] = {
    T.LABOUR_EXPORT_SERVICE: (8, 3, 3, 3, 2, 2, 1, 1, 0),
    T.TRANSPORT_SUBSIDY: (6, 3, 2, 3, 1, 1, 1, 1, 0),
    T.MIGRANT_WORK_REWARD: (5, 2, 2, 2, 1, 1, 1, 1, 0),
    T.EMPLOYMENT_BASE_REWARD: (5, 2, 2, 2, 1, 1, 1, 1, 0),
    T.WORK_FOR_TRAINING: (5, 2, 2, 2, 1, 1, 1, 1, 0),
    T.TRAINING_ALLOWANCE: (7, 3, 2, 3, 1, 1, 1, 1, 2),
}
MIX_STATES: tuple[str, ...] = (
    S.FINANCE_PAID,
    S.HR_REVIEWED,
    S.VILLAGE_VERIFIED,
    S.SUBMITTED,
    S.RETURNED,
    S.REJECTED,
    S.WITHDRAWN,
    S.EXPIRED,
    S.HR_FIRST_REVIEWED,
)
# A list filed ~two months ago and one filed last week, per absorbing claimant.
LISTS: dict[str, tuple[tuple[str, ...], ...]] = {
    T.STARTUP_SUBSIDY: (
        (
            S.FINANCE_PAID,
            S.FINANCE_PAID,
            S.FINANCE_PAID,
            S.HR_REVIEWED,
            S.RETURNED,
            S.REJECTED,
            S.WITHDRAWN,
            S.EXPIRED,
        ),
        (S.SUBMITTED, S.SUBMITTED, S.SUBMITTED, S.VILLAGE_VERIFIED, S.VILLAGE_VERIFIED),
    ),
    T.WORKSHOP_REWARD: (
        (S.FINANCE_PAID, S.FINANCE_PAID, S.HR_REVIEWED, S.RETURNED, S.REJECTED, S.WITHDRAWN, S.EXPIRED),
        (S.SUBMITTED, S.SUBMITTED, S.VILLAGE_VERIFIED, S.VILLAGE_VERIFIED, S.VILLAGE_VERIFIED),
    ),
}
EMPLOYMENT_MONTHS: dict[str, int] = {
    T.LABOUR_EXPORT_SERVICE: 3,
    T.TRANSPORT_SUBSIDY: 3,
    T.MIGRANT_WORK_REWARD: 3,
    T.EMPLOYMENT_BASE_REWARD: 3,
    T.STARTUP_SUBSIDY: 1,
    T.WORKSHOP_REWARD: 1,
}


# The steps that lead a claim to each state: the shortest way the table allows, and for
# variety some ways round (through a return, or after village verification).
PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    S.SUBMITTED: (claim_path(S.SUBMITTED),),
    S.VILLAGE_VERIFIED: (claim_path(S.VILLAGE_VERIFIED),),
    S.HR_FIRST_REVIEWED: (claim_path(S.HR_FIRST_REVIEWED),),
    S.HR_REVIEWED: (claim_path(S.HR_REVIEWED),),
    S.FINANCE_PAID: (claim_path(S.FINANCE_PAID),) * 4 + (claim_path(S.FINANCE_PAID, via=S.RETURNED),),
    S.RETURNED: (claim_path(S.RETURNED), claim_path(S.RETURNED, via=S.VILLAGE_VERIFIED)),
    S.REJECTED: (claim_path(S.REJECTED),),
    S.WITHDRAWN: (
        claim_path(S.WITHDRAWN),
        claim_path(S.WITHDRAWN, via=S.VILLAGE_VERIFIED),
        claim_path(S.WITHDRAWN, via=S.RETURNED),
    ),
    S.EXPIRED: (claim_path(S.EXPIRED), claim_path(S.EXPIRED, via=S.VILLAGE_VERIFIED)),
}
# Working days after the previous step (None: the nightly expiry once the 30 days are over).
GAPS: dict[str, tuple[int, int] | None] = {
    "verify": (1, 4),
    "return": (1, 3),
    "hr_return": (2, 6),
    "approve": (2, 7),
    "approve_large": (2, 7),
    "countersign": (1, 3),
    "reject": (2, 7),
    "pay": (3, 9),
    "withdraw": (1, 6),
    "resubmit": (2, 6),
    "expire": None,
}
PWP_GAPS = {**GAPS, "verify": (1, 2), "approve": (1, 3), "pay": (1, 4)}
# How many days before now a claim ending in each state was filed.
FILED_AGO: dict[str, tuple[int, int]] = {
    S.SUBMITTED: (0, 7),
    S.VILLAGE_VERIFIED: (4, 18),
    S.HR_FIRST_REVIEWED: (8, 25),
    S.HR_REVIEWED: (10, 35),
    S.FINANCE_PAID: (25, 100),
    S.RETURNED: (3, 20),
    S.REJECTED: (12, 70),
    S.WITHDRAWN: (5, 60),
    S.EXPIRED: (40, 90),
}
COMMENTS: dict[str, tuple[str | None, ...]] = {
    "verify": ("已入户核实，情况属实", "经村委会核实无误", None),
    "return": (
        "缺少务工收入证明，请补充后重新提交",
        "身份证号与户籍信息不一致，请核对",
        "银行账号户名与本人不符，请更正",
    ),
    "hr_return": ("请补充劳动合同或用工证明", "工资发放凭证不完整，请补充银行流水"),
    "approve": ("符合条件，同意", "材料齐全，同意补贴", None),
    "approve_large": ("培训天数较长，初审同意，请复核", "金额超过常规范围，初审同意"),
    "reject": (
        "经核查，务工时间不满规定期限，不予批准",
        "经比对，该人员本年度已在外县享受同类补贴，不予批准",
    ),
    "withdraw": ("申报信息有误，撤回后重新整理", "本人已返乡，撤回申请"),
}
PWP_COMMENTS: dict[str, tuple[str | None, ...]] = {
    "return": ("请补充当月考勤表",),
    "hr_return": ("考勤表缺村委会盖章，请补充",),
    "reject": ("当月考勤显示缺勤超过10天，不予发放岗位补贴",),
    "withdraw": ("补贴月份填报错误，撤回",),
}
TERMINATION_REASONS = ("本人外出务工，申请有序退岗", "因身体原因不能继续履职，有序退岗")
CONTRACT_REJECTIONS = ("该户已有1人在公益性岗位安置，不再重复安置",)
CONTRACT_RETURNS = ("协议附件缺少身份证复印件，请补充", "岗位职责描述不清，请修改后重新提交")

# Contract histories per post place: two-contract ones go on posts with a single place.
TWO_CONTRACT_SCENARIOS = (
    "renewed",
    "renewal_pending",
    "expired_then_new",
    "expired_then_new",
    "terminated_then_new",
    "terminated_then_new",
    "rejected_then_new",
)
ONE_CONTRACT_SCENARIOS = (
    ("ending_soon",) * 5
    + ("expired",)
    + ("pending_submitted",) * 2
    + ("pending_village_verified",) * 2
    + ("pending_hr_reviewed",) * 2
    + ("pending_returned",) * 2
    + ("vacant",) * 2
)
# The last one ended yesterday: still active until the sweep (server or ``fuzhi sweep``) expires it.
ENDING_IN_DAYS = (3, 9, 16, 23, -1)
