"""States of the two workflows and the subsidy types of the plan."""

from __future__ import annotations

from enum import StrEnum


class ClaimState(StrEnum):
    SUBMITTED = "submitted"
    VILLAGE_VERIFIED = "village_verified"
    # An amount above its type's ordinary range, approved by one HR reviewer: a second signs.
    HR_FIRST_REVIEWED = "hr_first_reviewed"
    HR_REVIEWED = "hr_reviewed"
    FINANCE_PAID = "finance_paid"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class ContractState(StrEnum):
    SUBMITTED = "submitted"
    VILLAGE_VERIFIED = "village_verified"
    HR_REVIEWED = "hr_reviewed"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    RETURNED = "returned"
    REJECTED = "rejected"


class BatchState(StrEnum):
    """A payout batch's states (its lines' paid/failed outcomes are the lines' own)."""

    OPEN = "open"
    EXPORTED = "exported"
    CONFIRMED = "confirmed"
    CLOSED = "closed"


BATCH_LABELS: dict[str, str] = {
    "open": "待导出",
    "exported": "已导出",
    "confirmed": "已确认",
    "closed": "已关闭",
}
# A payout line's status: pending until the bank's return file (or finance) says paid or failed.
PAYOUT_LINE_LABELS: dict[str, str] = {"pending": "待发放", "paid": "已发放", "failed": "发放失败"}


STATE_LABELS: dict[str, str] = {
    "submitted": "已提交",
    "village_verified": "村级已核实",
    "hr_first_reviewed": "大额待复核",
    "hr_reviewed": "人社已审核",
    "finance_paid": "财务已发放",
    "returned": "已退回",
    "rejected": "不予批准",
    "withdrawn": "已撤回",
    "expired": "已过期",
    "active": "履约中",
    "terminated": "已退岗",
}

# A claim in one of these no longer holds its place against the one-per-person rules.
CLAIM_DEAD_STATES = frozenset({ClaimState.REJECTED, ClaimState.WITHDRAWN, ClaimState.EXPIRED})
# The same as the strings a query compares the state column with (in a fixed order).
CLAIM_DEAD_VALUES = tuple(sorted(s.value for s in CLAIM_DEAD_STATES))


class SubsidyType(StrEnum):
    LABOUR_EXPORT_SERVICE = "labour_export_service"
    TRANSPORT_SUBSIDY = "transport_subsidy"
    MIGRANT_WORK_REWARD = "migrant_work_reward"
    EMPLOYMENT_BASE_REWARD = "employment_base_reward"
    STARTUP_SUBSIDY = "startup_subsidy"
    WORKSHOP_REWARD = "workshop_reward"
    WORK_FOR_TRAINING = "work_for_training"
    PUBLIC_WELFARE_POST = "public_welfare_post"
    TRAINING_ALLOWANCE = "training_allowance"


SUBSIDY_LABELS: dict[str, str] = {
    "labour_export_service": "有组织劳务输出就业创业服务补助",
    "transport_subsidy": "一次性外出务工交通补助",
    "migrant_work_reward": "一次性外出务工奖补",
    "employment_base_reward": "就业帮扶基地吸纳就业奖补",
    "startup_subsidy": "一次性创业补贴",
    "workshop_reward": "就业帮扶车间吸纳就业奖补",
    "work_for_training": "以工代训职业培训补贴",
    "public_welfare_post": "乡村公益性岗位补贴",
    "training_allowance": "培训生活费补贴、交通费补贴",
}


class TargetGroup(StrEnum):
    POVERTY_ALLEVIATED = "poverty_alleviated"
    RELOCATED = "relocated"
    RURAL_LOW_INCOME = "rural_low_income"


TARGET_GROUP_LABELS = {
    "poverty_alleviated": "脱贫人口",
    "relocated": "易地搬迁人口",
    "rural_low_income": "农村低收入人口",
}


class LabourCapacity(StrEnum):
    FULL = "full"
    WEAK = "weak"
    HALF = "half"
    NONE = "none"  # 无劳动力: never counted as labour force, whatever the age


CAPACITY_LABELS = {
    "full": "全劳力",
    "weak": "弱劳力",
    "half": "半劳力",
    "none": "无劳动力",
}


class OrgKind(StrEnum):
    HR_AGENCY = "hr_agency"
    VILLAGE_COMMITTEE = "village_committee"
    LABOUR_BROKER = "labour_broker"
    ENTERPRISE = "enterprise"
    EMPLOYMENT_BASE = "employment_base"
    WORKSHOP = "workshop"
    PERSON = "person"


ORG_KIND_LABELS = {
    "hr_agency": "人力资源服务机构",
    "village_committee": "村委会",
    "labour_broker": "劳务经纪人",
    "enterprise": "企业",
    "employment_base": "就业帮扶基地",
    "workshop": "就业帮扶车间",
    "person": "本人",
}


class Destination(StrEnum):
    OUT_OF_PROVINCE = "out_of_province"
    IN_PROVINCE = "in_province"
    IN_COUNTY = "in_county"


DESTINATION_LABELS = {
    "out_of_province": "省外",
    "in_province": "县外省内",
    "in_county": "县内",
}

# A contract's renewal as its successor stands: proposed is not renewed. Keyed by the
# successor's state; no successor is 未续签.
RENEWAL_LABELS = {
    "none": "未续签",
    "submitted": "续签待审",
    "village_verified": "续签待审",
    "returned": "续签已退回",
    "hr_reviewed": "续签已批准，待生效",
    "active": "已续签",
    "expired": "已续签",
    "terminated": "已续签",
    "rejected": "续签未获批准",
}


def renewal_label(successor_state: str | None) -> str:
    """What a contract's renewal amounts to, from its successor's state (None: no successor)."""
    return RENEWAL_LABELS.get(successor_state or "none", RENEWAL_LABELS["submitted"])
