"""The three workflows as data: one table per workflow, one row per step.

Changing the process means editing a table below. Everything else (the engine's
checks, the inbox buttons, the diagrams in ``fuzhi machines``) is derived from it. What a
row means, the checks that refuse a bad table and the shared ``transitions.Machine`` each
table builds are in ``workflow.tables``; its names are importable from here as well.

Each row is one line however long (``# fmt: off``; line length not checked in this file):
a step split over eight lines no longer reads as a row of a table.
"""

# ruff: noqa: E501

from __future__ import annotations

from .roles import Role
from .states import BatchState, ClaimState, ContractState
from .tables import CLAIMANT_MEMBERS, Deadline, Step, Wait, Workflow, WorkflowTableError, validate

__all__ = [
    "CLAIM",
    "CONTRACT",
    "COUNTERSIGNED_BY",
    "PAID_BY",
    "PAYOUT",
    "REVIEWED_BY",
    "SUBMITTED_BY",
    "VERIFIED_BY",
    "WORKFLOWS",
    "Deadline",
    "Step",
    "Wait",
    "Workflow",
    "WorkflowTableError",
    "validate",
]

# Users recorded on a case by the step they took (separation of duties reads them back).
SUBMITTED_BY = "submitted_by"
VERIFIED_BY = "verified_by"
REVIEWED_BY = "reviewed_by"
COUNTERSIGNED_BY = "countersigned_by"  # the second HR reviewer of a large amount
PAID_BY = "paid_by"

R = Role
C = ClaimState
# Nobody who filed or verified a claim reviews it, nor any member of the organisation that filed it.
_HR_HANDS_OFF = (VERIFIED_BY, SUBMITTED_BY, CLAIMANT_MEMBERS)
_NOT_THE_FILER = (SUBMITTED_BY, CLAIMANT_MEMBERS)

# fmt: off
CLAIM = Workflow(
    name="claim",
    label="补贴申请",
    states=tuple(C),
    initial=C.SUBMITTED,
    terminal=frozenset({C.FINANCE_PAID, C.REJECTED, C.WITHDRAWN, C.EXPIRED}),
    steps=(
        #    trigger     source                                         dest                role       label, then guards, not_by, stamps, bulk
        # bulk: offered on many cases at once in the inbox; a bulk step that needs a comment
        # (return, reject) takes one reason for all of them (workflow.review.reason_missing).
        Step("verify",   (C.SUBMITTED,),                                C.VILLAGE_VERIFIED, R.VILLAGE, "核实通过", not_by=_NOT_THE_FILER, stamps=VERIFIED_BY, bulk=True),
        Step("return",   (C.SUBMITTED,),                                C.RETURNED,         R.VILLAGE, "退回修改", guards=("comment_given",), not_by=_NOT_THE_FILER, bulk=True),
        Step("approve",  (C.VILLAGE_VERIFIED,),                         C.HR_REVIEWED,      R.HR,      "审核通过", guards=("absorption_threshold_met", "within_ordinary_amount"), not_by=_HR_HANDS_OFF, stamps=REVIEWED_BY, bulk=True),
        # An amount above its type's ordinary range (the policy year's 大额复核起点) is approved
        # by two HR reviewers, one at a time: never in bulk, never the same person twice.
        Step("approve_large", (C.VILLAGE_VERIFIED,),                    C.HR_FIRST_REVIEWED, R.HR,     "大额初审通过", guards=("absorption_threshold_met", "above_ordinary_amount"), not_by=_HR_HANDS_OFF, stamps=REVIEWED_BY),
        Step("countersign", (C.HR_FIRST_REVIEWED,),                     C.HR_REVIEWED,      R.HR,      "复核通过", guards=("absorption_threshold_met",), not_by=(REVIEWED_BY, *_HR_HANDS_OFF), stamps=COUNTERSIGNED_BY),
        Step("return",   (C.VILLAGE_VERIFIED, C.HR_FIRST_REVIEWED),     C.RETURNED,         R.HR,      "退回修改", guards=("comment_given",), not_by=_HR_HANDS_OFF, bulk=True),
        Step("reject",   (C.VILLAGE_VERIFIED, C.HR_FIRST_REVIEWED),     C.REJECTED,         R.HR,      "不予批准", guards=("comment_given",), not_by=_HR_HANDS_OFF, bulk=True),
        # Only the payout service, confirming a batch line with the bank's reference, can
        # satisfy this guard: no page, inbox button or API pays a claim outside a batch.
        Step("pay",      (C.HR_REVIEWED,),                              C.FINANCE_PAID,     R.FINANCE, "确认发放", guards=("through_payout_line",), not_by=(REVIEWED_BY, COUNTERSIGNED_BY, *_HR_HANDS_OFF), stamps=PAID_BY),
        Step("withdraw", (C.SUBMITTED, C.VILLAGE_VERIFIED, C.HR_FIRST_REVIEWED, C.RETURNED), C.WITHDRAWN, R.AGENT, "撤回"),
        Step("resubmit", (C.RETURNED,),                                 C.SUBMITTED,        R.AGENT,   "重新提交"),
        Step("expire",   (C.RETURNED,),                                 C.EXPIRED,          R.SYSTEM,  "逾期未重新提交，过期", guards=("due_passed",)),
    ),
    deadlines={
        C.SUBMITTED:        Deadline(working_days=5),
        C.VILLAGE_VERIFIED: Deadline(working_days=10),
        C.HR_FIRST_REVIEWED: Deadline(working_days=5),
        C.HR_REVIEWED:      Deadline(working_days=15),
        C.RETURNED:         Deadline(calendar_days=30),
    },
    creation=(
        Step("submit", (), C.SUBMITTED, R.AGENT,  "提交申请"),
        # The sweep files each month's public-welfare post claim for the village committee.
        Step("submit", (), C.SUBMITTED, R.SYSTEM, "按月生成"),
    ),
    # Overdue work goes to the level above the one that should have acted: the county bureau
    # (HR) is above the village; the bureau's head (the admin account) above HR and finance.
    waits={
        C.SUBMITTED:        Wait("verify",   "村级核实",   escalate_to=R.HR),
        C.VILLAGE_VERIFIED: Wait("approve",  "人社局审核", escalate_to=R.ADMIN),
        C.HR_FIRST_REVIEWED: Wait("countersign", "大额复核", escalate_to=R.ADMIN),
        C.HR_REVIEWED:      Wait("pay",      "财务发放",   escalate_to=R.ADMIN),
        C.RETURNED:         Wait("resubmit", "重新提交"),  # not escalated: it expires (``expire``)
    },
)
# fmt: on

K = ContractState

# fmt: off
CONTRACT = Workflow(
    name="contract",
    label="公益性岗位协议",
    states=tuple(K),
    initial=K.SUBMITTED,
    terminal=frozenset({K.EXPIRED, K.TERMINATED, K.REJECTED}),
    steps=(
        #    trigger             source                     dest                role       label, then guards, not_by, stamps, form
        Step("verify",           (K.SUBMITTED,),            K.VILLAGE_VERIFIED, R.VILLAGE, "核实通过", not_by=(SUBMITTED_BY,), stamps=VERIFIED_BY),
        Step("return",           (K.SUBMITTED,),            K.RETURNED,         R.VILLAGE, "退回修改", guards=("comment_given",), not_by=(SUBMITTED_BY,)),
        Step("approve",          (K.VILLAGE_VERIFIED,),     K.HR_REVIEWED,      R.HR,      "审核通过", guards=("term_at_most_one_year",), not_by=_HR_HANDS_OFF, stamps=REVIEWED_BY),
        Step("return",           (K.VILLAGE_VERIFIED,),     K.RETURNED,         R.HR,      "退回修改", guards=("comment_given",), not_by=_HR_HANDS_OFF),
        Step("reject",           (K.VILLAGE_VERIFIED,),     K.REJECTED,         R.HR,      "不予批准", guards=("comment_given",), not_by=_HR_HANDS_OFF),
        Step("resubmit",         (K.RETURNED,),             K.SUBMITTED,        R.HR,      "重新提交"),
        # Recording the accident-insurance policy leaves the state as it is, but is a step
        # of its own so that who recorded which policy stays in the history.
        Step("record_insurance", (K.HR_REVIEWED, K.ACTIVE), None,               R.HR,      "登记意外伤害保险", form=True),
        Step("activate",         (K.HR_REVIEWED,),          K.ACTIVE,           R.HR,      "生效", guards=("insurance_recorded",)),
        Step("terminate",        (K.ACTIVE,),               K.TERMINATED,       R.HR,      "有序退岗", guards=("comment_given",), form=True),
        Step("expire",           (K.ACTIVE,),               K.EXPIRED,          R.SYSTEM,  "到期终止", guards=("term_ended",)),
        # Renewal leaves this contract as it is; the service files its successor.
        Step("renew",            (K.ACTIVE, K.EXPIRED),     None,               R.HR,      "续签", guards=("not_renewed",), form=True),
    ),
    deadlines={
        K.SUBMITTED:        Deadline(working_days=5),
        K.VILLAGE_VERIFIED: Deadline(working_days=10),
        K.RETURNED:         Deadline(calendar_days=30),
    },
    creation=(
        Step("submit", (), K.SUBMITTED, R.HR, "拟定协议"),
    ),
    waits={
        K.SUBMITTED:        Wait("verify",   "村级核实",       escalate_to=R.HR),
        K.VILLAGE_VERIFIED: Wait("approve",  "人社局审核",     escalate_to=R.ADMIN),
        K.HR_REVIEWED:      Wait("activate", "登记保险并生效"),
        # Returned contracts are resubmitted by HR: they wait in HR's inbox.
        K.RETURNED:         Wait("resubmit", "重新提交",       escalate_to=R.ADMIN),
    },
)
# fmt: on

B = BatchState

# A payout batch: finance makes it from approved claims, exports the bank file (again, if the
# bank asks), and confirms each line with the bank's reference or marks it failed (the line's
# own status: a failed line's claim goes back to the pool, the batch is not failed). Once no
# line is pending the batch is confirmed by itself; finance then closes it.
# fmt: off
PAYOUT = Workflow(
    name="payout",
    label="发放批次",
    states=tuple(B),
    initial=B.OPEN,
    terminal=frozenset({B.CLOSED}),
    steps=(
        #    trigger    source                dest         role       label
        Step("export",  (B.OPEN, B.EXPORTED), B.EXPORTED,  R.FINANCE, "导出银行文件"),
        Step("confirm", (B.OPEN, B.EXPORTED), B.CONFIRMED, R.SYSTEM,  "全部明细已确认或失败"),
        Step("close",   (B.CONFIRMED,),       B.CLOSED,    R.FINANCE, "关闭批次"),
    ),
    creation=(
        Step("create", (), B.OPEN, R.FINANCE, "生成发放批次"),
    ),
)
# fmt: on

WORKFLOWS = {wf.name: wf for wf in (CLAIM, CONTRACT, PAYOUT)}
