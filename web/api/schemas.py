"""What the agent API accepts and returns. Money is a decimal string; ID numbers only masked."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from workflow.states import Destination, LabourCapacity, SubsidyType, TargetGroup

Text = Annotated[str, Meta(max_length=200)]
Code = Annotated[str, Meta(max_length=40)]
IdNumber = Annotated[str, Meta(min_length=1, max_length=30)]
Id = Annotated[int, Meta(ge=1, le=2**31 - 1)]
Year = Annotated[int, Meta(ge=2000, le=2100)]
# The facts a claim carries, typed so that the document says what is refused: a whole number
# (days, months) below 2³¹, money as a decimal string of yuan (as every amount of this API), a day
# as YYYY-MM-DD in 1900–2099 (the calendar's check, 2026-02-30, comes after), a yes/no as a JSON
# boolean. One type per fact: Litestar's document drops the bounds of each member of a union.
# What the plan allows (a policy year's ceilings) is the rules' to say.
# (``extra``: Litestar drops a bound of 0 from the document, taking it for none.)
Whole = Annotated[int, Meta(ge=0, le=2**31 - 1, extra_json_schema={"extra": {"minimum": 0}})]
Amount = Annotated[str, Meta(pattern=r"^[0-9]{1,9}(\.[0-9]{1,2})?$", description="金额（元），如 420.50")]
Day = Annotated[
    str,
    Meta(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])", description="日期 YYYY-MM-DD"),
]
Month = Annotated[str, Meta(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="月份 YYYY-MM")]


class FactsIn(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """The facts a subsidy type reads (``workflow.rules.facts``); each is optional here, the
    rules say which a type needs."""

    destination: Destination | None = None
    employment_start: Day | None = None
    fare: Amount | None = None
    wages_paid: Amount | None = None
    training_months: Whole | None = None
    course_id: Code | None = None
    course_days: Whole | None = None
    course_end: Day | None = None
    course_completed: bool | None = None
    operating_normally: bool | None = None
    month: Month | None = None
    attendance_days: Whole | None = None

    def record(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=50)]
    id_number: IdNumber
    village_code: Code
    target_groups: Annotated[list[TargetGroup], Meta(max_length=3)] = []
    labour_capacity: LabourCapacity = LabourCapacity.FULL  # none: 无劳动力
    # Labour force although outside the working-age range (a fit 63-year-old at work).
    labour_force_override: bool = False
    phone: Annotated[str, Meta(max_length=20)] | None = None
    household_no: Annotated[str, Meta(max_length=30)] | None = None
    bank_account: Annotated[str, Meta(max_length=40)] | None = None
    graduate_left_school: date | None = None


class PersonLookup(msgspec.Struct, forbid_unknown_fields=True):
    id_number: IdNumber


class PersonOut(msgspec.Struct):
    id: int
    name: str
    id_number_masked: str
    # The age in whole years (周岁), not the birth date: with the masked number's first and last
    # four digits and the village, a birth date would complete the number (workflow.identity).
    age: int
    sex: str
    village_code: str
    village_name: str
    target_groups: list[str]
    labour_capacity: str
    labour_force_override: bool
    bank_account_masked: str | None
    created: bool = False


class PersonLinkOut(msgspec.Struct):
    """A registration that met a person already registered: the id to name them by from now on,
    and nothing that others recorded about them."""

    id: int
    name: str
    id_number_masked: str
    created: bool = False


class ClaimIn(msgspec.Struct, forbid_unknown_fields=True):
    """Names the person by ``person_id`` (one the organisation registered, was linked to or filed
    for) or by ``id_number`` (the full resident ID, for anyone registered), never both."""

    subsidy_type: SubsidyType
    person_id: (
        Annotated[
            int,
            Meta(ge=1, le=2**31 - 1, description="本单位登记、关联或申报过的人员编号；与 id_number 二选一"),
        ]
        | None
    ) = None
    id_number: (
        Annotated[
            str, Meta(min_length=1, max_length=30, description="居民身份证号（18位）；与 person_id 二选一")
        ]
        | None
    ) = None
    facts: FactsIn = msgspec.field(default_factory=FactsIn)
    # Optional: the facts fix the year (e.g. the day stable employment is complete); a year
    # sent that disagrees is refused (validation.policy_year_mismatch) saying which applies.
    policy_year: Year | None = None
    contract_id: Id | None = None


class AbsorptionOut(msgspec.Struct):
    """The business's absorbed target persons counted now (创业补贴 / 车间奖补): approval
    waits until ``counted`` reaches ``required``."""

    counted: int
    required: int
    claims: list[int]
    persons: list[str]
    message: str


class StepIn(msgspec.Struct, forbid_unknown_fields=True):
    comment: Annotated[str, Meta(max_length=500)] | None = None
    version: Id | None = None


class ResubmitIn(msgspec.Struct, forbid_unknown_fields=True):
    facts: FactsIn | None = None
    version: Id | None = None


class HistoryOut(msgspec.Struct):
    trigger: str
    from_state: str | None
    to_state: str
    actor_name: str
    role: str
    at: datetime
    comment: str | None


class ClaimOut(msgspec.Struct):
    id: int
    subsidy_type: str
    subsidy_label: str
    person_id: int
    person_name: str
    person_id_number_masked: str
    claimant_org_id: int
    payee: str
    policy_year: int
    facts: dict[str, Any]
    amount: Decimal
    rule: str
    rule_explanation: str
    state: str
    state_label: str
    version: int
    due_at: datetime | None
    overdue: bool
    batch_ref: str | None
    created_at: datetime
    updated_at: datetime
    history: list[HistoryOut] | None = None
    evidence_count: int | None = None
    absorption: AbsorptionOut | None = None


class ClaimPage(msgspec.Struct):
    items: list[ClaimOut]
    next_cursor: str | None


class EvidenceOut(msgspec.Struct):
    id: int
    claim_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ListRowError(msgspec.Struct):
    column: str
    code: str
    detail: str


class ListRowOut(msgspec.Struct):
    row: int
    status: str
    claim_id: int | None
    amount: Decimal | None
    errors: list[ListRowError]


class ListOut(msgspec.Struct):
    id: int | None
    dry_run: bool
    rows_total: int
    rows_accepted: int
    rows_refused: int
    rows: list[ListRowOut]
    result_url: str | None


class ListJsonIn(msgspec.Struct, forbid_unknown_fields=True):
    rows: Annotated[list[dict[str, Any]], Meta(max_length=20000)]
    dry_run: bool = False


class ProblemField(msgspec.Struct):
    field: str
    code: str
    detail: str


class Problem(msgspec.Struct):
    """application/problem+json: ``code`` is stable for programs, ``detail`` is for people."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[ProblemField] | None = None
