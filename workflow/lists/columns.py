"""The columns of a bulk list (申报清单): each column's field, Chinese header, kind, help text,
example and the other headers it is known by; person columns first, then the facts the
subsidy types read. A ``ColumnSet`` is one kind of list (the claims here; the places and
persons the admin imports in ``places`` and ``persons``) read by the same machinery.

How a header is matched is in ``headers``, how a cell is read in ``cells``, a whole row in
``rows``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..states import (
    CAPACITY_LABELS,
    DESTINATION_LABELS,
    SUBSIDY_LABELS,
    TARGET_GROUP_LABELS,
)

LABOUR_LABELS = CAPACITY_LABELS
FACT_FIELDS = (
    "destination",
    "employment_start",
    "fare",
    "wages_paid",
    "training_months",
    "course_id",
    "course_days",
    "course_end",
    "course_completed",
    "operating_normally",
    "month",
    "attendance_days",
)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str  # text, id_number, bank, choice, groups, flag, date, month, money, int, year
    help: str
    example: Any = None
    required: bool = False  # the header must be present
    person: bool = False  # describes the person (used only when the person is new)
    choices: Mapping[str, str] = dataclasses.field(default_factory=dict)  # code -> label
    aliases: tuple[str, ...] = ()
    max_len: int | None = None
    max_value: int | None = None  # whole numbers: what no real row exceeds


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "姓名",
        "text",
        "帮扶对象姓名；已登记的人员须与登记姓名一致。",
        "卓玛",
        required=True,
        max_len=50,
        aliases=("人员姓名", "帮扶对象姓名"),
    ),
    Column(
        "id_number",
        "身份证号",
        "id_number",
        "18位居民身份证号（末位可为X）。请将此列设为“文本”格式，以免Excel把号码变成科学计数法。",
        "533422199203150023",
        required=True,
        aliases=("身份证号码", "居民身份证号", "公民身份号码", "证件号码"),
    ),
    Column(
        "village_code",
        "行政村代码",
        "text",
        "12位行政村代码（如533422101001）；新登记人员必填，已登记人员以登记信息为准。",
        "533422101001",
        person=True,
        max_len=15,
        aliases=("村代码",),
    ),
    Column(
        "target_groups",
        "帮扶对象类别",
        "groups",
        "脱贫人口、易地搬迁人口、农村低收入人口，可填多个，用“、”分隔；新登记人员填写。",
        "脱贫人口",
        person=True,
        choices=TARGET_GROUP_LABELS,
        aliases=("人员类别",),
    ),
    Column(
        "labour_capacity",
        "劳动力类型",
        "choice",
        "全劳力、弱劳力、半劳力或无劳动力；不填为全劳力。",
        "全劳力",
        person=True,
        choices=LABOUR_LABELS,
        aliases=("劳动能力",),
    ),
    Column(
        "labour_force_override",
        "劳动年龄外计入劳动力",
        "flag",
        "劳动年龄以外（按身份证出生日期）仍在劳动的，填 是；不填为否。",
        None,
        person=True,
        aliases=("计入劳动力",),
    ),
    Column(
        "phone",
        "联系电话",
        "text",
        "手机或固定电话。",
        "13988887777",
        person=True,
        max_len=20,
        aliases=("电话", "手机号", "手机号码"),
    ),
    Column(
        "bank_account",
        "银行账号",
        "bank",
        "本人银行卡号（12至30位数字），用于发放补贴。",
        "6217000000000000123",
        person=True,
        aliases=("银行卡号", "社保卡号"),
    ),
    Column(
        "household_no",
        "户编号",
        "text",
        "户籍或建档立卡户编号，可不填。",
        None,
        person=True,
        max_len=30,
        aliases=("户号",),
    ),
    Column(
        "subsidy_type",
        "补贴类型",
        "choice",
        "补贴名称（见下拉列表）或其代码。",
        SUBSIDY_LABELS["labour_export_service"],
        required=True,
        choices=SUBSIDY_LABELS,
        aliases=("补贴项目", "申报类型"),
    ),
    Column(
        "policy_year",
        "政策年度",
        "year",
        ("可不填：所属年度由事实确定（如稳定就业满3个月之日、补贴月份、结业日期）；填写的须与之一致。"),
        None,
        aliases=("年度", "申报年度"),
    ),
    Column(
        "destination",
        "务工地点",
        "choice",
        "省外、县外省内或县内（县内就业不享受外出务工类补贴）。",
        "省外",
        choices=DESTINATION_LABELS,
        aliases=("就业地点", "转移就业地点"),
    ),
    Column(
        "employment_start",
        "就业开始日期",
        "date",
        "开始务工（被吸纳就业）的日期，如2026-03-01；稳定就业须满规定月数方可申报。",
        date(2026, 3, 1),
        aliases=("务工开始日期", "就业时间"),
    ),
    Column(
        "fare",
        "实际交通费",
        "money",
        "交通补助：实际发生的交通费（元），按上限封顶。",
        None,
        aliases=("交通费",),
    ),
    Column(
        "wages_paid",
        "已发工资额",
        "money",
        "创业补贴、车间奖补：已发给该人员的工资（元）。",
        None,
        aliases=("工资额", "已发工资"),
    ),
    Column(
        "training_months",
        "以工代训月数",
        "int",
        "以工代训的月数（1至6）；开始日期填在“就业开始日期”。",
        None,
        aliases=("培训月数",),
        max_value=120,
    ),
    Column(
        "course_id",
        "培训班次",
        "text",
        "培训补贴：培训班次编号。",
        None,
        max_len=40,
        aliases=("培训班次编号",),
    ),
    Column("course_days", "培训天数", "int", "培训补贴：参加培训的天数。", None, max_value=366),
    Column(
        "course_end",
        "结业日期",
        "date",
        "培训补贴：培训结业的日期，确定所属政策年度。",
        None,
        aliases=("培训结业日期",),
    ),
    Column("course_completed", "是否结业", "flag", "培训补贴：是 或 否。", None),
    Column("operating_normally", "是否正常经营", "flag", "创业补贴：经营实体是否正常经营，是 或 否。", None),
    Column(
        "month", "补贴月份", "month", "公益性岗位补贴：在岗月份，如2026-10。", None, aliases=("岗位补贴月份",)
    ),
    Column(
        "attendance_days",
        "出勤天数",
        "int",
        "公益性岗位补贴：当月实际出勤天数（村级核实时确认），不超过协议期内的法定工作日天数。",
        None,
        max_value=31,
    ),
    Column(
        "contract_id",
        "协议编号",
        "int",
        "公益性岗位补贴：系统中的岗位协议编号。",
        None,
        aliases=("岗位协议编号",),
        max_value=2**31 - 1,
    ),
)

BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
HEADER_OF: dict[str, str] = {c.field: c.header for c in COLUMNS}
SENSITIVE = frozenset({"id_number", "bank_account"})  # masked in what is stored and returned


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per kind of list
class ColumnSet:
    """One kind of list: its columns in order, the sheet its template names (and an upload is
    read from first), the fields masked wherever cells are kept, and the fields the template
    formats as text (long numbers Excel would otherwise round)."""

    sheet: str
    columns: tuple[Column, ...]
    sensitive: frozenset[str] = SENSITIVE
    text_fields: tuple[str, ...] = ()
    by_field: dict[str, Column] = dataclasses.field(init=False)
    header_of: dict[str, str] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_field", {c.field: c for c in self.columns})
        object.__setattr__(self, "header_of", {c.field: c.header for c in self.columns})

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


CLAIM_COLUMNS = ColumnSet(
    "申报清单",
    COLUMNS,
    text_fields=("id_number", "bank_account", "village_code", "phone", "household_no", "course_id"),
)
