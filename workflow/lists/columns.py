"""The columns of a bulk list (申报清单): Chinese header ↔ field, and how each cell is read.

A cell may hold what Excel or a CSV gives (text, a number, a date) or what JSON gives. Coded
columns accept the Chinese label or the code (补贴类型 “一次性外出务工交通补助” or
``transport_subsidy``); flags accept 是/否. Every error names the column by its Chinese header.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ..errors import DomainError, ValidationFailed
from ..identity import mask, normalise_bank_account, normalise_id_number
from ..money import parse_yuan
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


class RowError(NamedTuple):
    """One reason a row is refused: the column's Chinese header ("" for the whole row)."""

    column: str
    code: str
    message: str


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
FLAG_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "t"})
FLAG_FALSE = frozenset({"否", "n", "no", "false", "0", "×", "x", "f"})


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text safe to store and to write into a workbook: control characters (which neither
    PostgreSQL nor .xlsx accept, and nobody types on purpose) removed, lone surrogates
    (which no encoding can write) replaced by U+FFFD, refused later where a value is read."""
    if text.isprintable():
        return text
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def normalise_header(raw: object) -> str:
    """``* 身份证号（必填）`` → ``身份证号``: spaces, required-marks and a trailing note dropped."""
    text = re.sub(r"\s+", "", str(raw or ""))
    text = text.strip("*＊")
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


_LOOKUP: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.header, _c.field, *_c.aliases):
        _LOOKUP[normalise_header(_name).lower()] = _c.field


def field_of(header: object) -> str | None:
    """The field a header names (Chinese header, alias or field code), or None."""
    return _LOOKUP.get(normalise_header(header).lower())


@dataclass(frozen=True)
class ColumnMap:
    """Where each known field sits in a row, and the headers nobody knows."""

    index: dict[str, int]
    unknown: tuple[str, ...]


def map_headers(headers: Sequence[object]) -> ColumnMap:
    index: dict[str, int] = {}
    unknown: list[str] = []
    for i, header in enumerate(headers):
        if header is None or str(header).strip() == "":
            continue
        name = field_of(header)
        if name is None:
            unknown.append(str(header))
            continue
        if name in index:
            raise ValidationFailed(
                "validation.list_columns", f"“{HEADER_OF[name]}”列出现了两次", field=HEADER_OF[name]
            )
        index[name] = i
    missing = [c.header for c in COLUMNS if c.required and c.field not in index]
    if missing:
        raise ValidationFailed(
            "validation.list_columns",
            f"缺少必填列：{'、'.join(missing)}（请使用下载的模板）",
            field=missing[0],
            missing=missing,
        )
    return ColumnMap(index, tuple(unknown))


# ----------------------------------------------------------------------------- cells


def cell_text(value: object) -> str | None:
    """A cell as text, or None when empty (whole floats lose their ``.0``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(t for v in value if (t := cell_text(v))) or None
    text = str(value).strip().lstrip("'").strip()
    return text or None


def _fail(col: Column, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(code, message, field=col.header)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


def read_date(col: Column, value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if text is None:
        return None
    text = re.split(r"[ T]", text, maxsplit=1)[0]
    if m := _DATE.match(text):
        y, mo, d = (int(g) for g in m.groups())
    elif re.fullmatch(r"\d{8}", text):
        y, mo, d = int(text[:4]), int(text[4:6]), int(text[6:])
    else:
        y = mo = d = 0
    try:
        return date(y, mo, d)
    except ValueError:
        raise _fail(col, "validation.date", f"“{col.header}”须为日期（YYYY-MM-DD）") from None


def read_month(col: Column, value: object) -> str | None:
    if isinstance(value, date):  # a datetime too
        return f"{value.year:04d}-{value.month:02d}"
    text = cell_text(value)
    if text is None:
        return None
    m = _MONTH.match(text) or re.fullmatch(r"(\d{4})(\d{2})", text)
    if m is None:
        try:  # a whole date names its month
            day = read_date(col, text)
        except ValidationFailed:
            day = None
        if day is not None:
            return f"{day.year:04d}-{day.month:02d}"
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise _fail(col, "validation.month", f"“{col.header}”格式须为YYYY-MM")
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def read_int(col: Column, value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = cell_text(value)
        if text is None:
            return None
        text = re.sub(r"(个月|月|天|日|年度|年)$", "", text)
        if not re.fullmatch(r"\d{1,12}", text):
            raise _fail(col, "validation.integer", f"“{col.header}”须为整数")
        number = int(text)
    if number < 0:
        raise _fail(col, "validation.integer", f"“{col.header}”须为整数")
    if col.max_value is not None and number > col.max_value:
        raise _fail(col, "validation.too_large", f"“{col.header}”不能大于{col.max_value}")
    return number


def read_choice(col: Column, value: object) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    key = re.sub(r"\s+", "", text)
    for code, label in col.choices.items():
        if key in (code, label):
            return code
    options = "、".join(col.choices.values())
    code = {
        "subsidy_type": "validation.subsidy_type",
        "destination": "validation.destination",
        "labour_capacity": "validation.labour_capacity",
    }.get(col.field, "validation.choice")
    raise _fail(col, code, f"“{col.header}”不认识“{text}”，应为：{options}")


def read_groups(col: Column, value: object) -> tuple[str, ...]:
    text = cell_text(value)
    if text is None:
        return ()
    found: list[str] = []
    for part in re.split(r"[、,，;；/\s]+", text):
        if not part:
            continue
        code = next((c for c, label in col.choices.items() if part in (c, label)), None)
        if code is None:
            raise _fail(
                col,
                "validation.target_group",
                f"未知的帮扶对象类别“{part}”，应为：{'、'.join(col.choices.values())}",
            )
        if code not in found:
            found.append(code)
    return tuple(found)


def read_flag(col: Column, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
    if text is None:
        return False
    if text.lower() in FLAG_TRUE:
        return True
    if text.lower() in FLAG_FALSE:
        return False
    raise _fail(col, "validation.flag", f"“{col.header}”须填“是”或“否”")


def read_money(col: Column, value: object) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    text = cell_text(value)
    if text is None:
        return None
    return parse_yuan(text.removesuffix("元"), col.header)


def read_year(col: Column, value: object) -> int | None:
    year = read_int(col, value)
    if year is not None and not 2000 <= year <= 2100:
        raise _fail(col, "validation.policy_year", f"“{col.header}”须为四位年份，如2026")
    return year


def read_text(col: Column, value: object) -> str | None:
    text = cell_text(value)
    if text is not None and "\ufffd" in text:
        raise _fail(col, "validation.bad_character", f"“{col.header}”含有无法识别的字符（文件编码可能有误）")
    if text is not None and col.max_len is not None and len(text) > col.max_len:
        raise _fail(col, "validation.too_long", f"“{col.header}”不能超过{col.max_len}个字")
    return text


def read_id_number(col: Column, value: object) -> str | None:
    if isinstance(value, float):
        raise _fail(
            col,
            "validation.id_number",
            "身份证号被Excel存成了数字，后几位已经丢失；请把该列设为“文本”格式后重新填写",
        )
    text = cell_text(value)
    return None if text is None else normalise_id_number(text, field=col.header)


def read_bank(col: Column, value: object) -> str | None:
    if isinstance(value, float) and value >= 1e15:
        raise _fail(
            col,
            "validation.bank_account",
            "银行账号被Excel存成了数字，后几位已经丢失；请把该列设为“文本”格式后重新填写",
        )
    text = cell_text(value)
    return None if text is None else normalise_bank_account(text, field=col.header)


READERS = {
    "text": read_text,
    "id_number": read_id_number,
    "bank": read_bank,
    "choice": read_choice,
    "groups": read_groups,
    "flag": read_flag,
    "date": read_date,
    "month": read_month,
    "money": read_money,
    "int": read_int,
    "year": read_year,
}


# ----------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class ListRow:
    """One row read and checked cell by cell: what the service needs to file its claim."""

    row: int
    name: str
    id_number: str
    subsidy_type: str
    village_code: str | None = None
    target_groups: tuple[str, ...] = ()
    labour_capacity: str = "full"
    labour_force_override: bool = False
    phone: str | None = None
    bank_account: str | None = None
    household_no: str | None = None
    policy_year: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    contract_id: int | None = None


def error_of(exc: DomainError, default_column: str = "") -> RowError:
    """A domain error as a row error, its field named by the Chinese header."""
    name = exc.details.get("field")
    if name is None:
        column = RULE_COLUMNS.get(exc.code, default_column)
    else:
        column = HEADER_OF.get(str(name), str(name))
    return RowError(column, exc.code, exc.message)


def read_row(row: int, cells: Mapping[str, object]) -> ListRow | tuple[RowError, ...]:
    """A row's cells by field → the row, or every cell error found in it (not just the first)."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for name, raw in cells.items():
        col = BY_FIELD[name]
        try:
            values[name] = READERS[col.kind](col, raw)
        except DomainError as exc:
            errors.append(error_of(exc, col.header))
    for name in ("name", "id_number", "subsidy_type"):
        if values.get(name) is None and not any(e.column == HEADER_OF[name] for e in errors):
            errors.append(RowError(HEADER_OF[name], "validation.required", f"缺少“{HEADER_OF[name]}”"))
    if values.get("id_number") == BY_FIELD["id_number"].example:
        errors.append(
            RowError(
                HEADER_OF["id_number"],
                "validation.example_row",
                "这是模板中的示例行（身份证号为虚构号码），请删除或改为实际人员",
            )
        )
    if errors:
        return tuple(errors)
    facts = {k: values[k] for k in FACT_FIELDS if values.get(k) not in (None, False)}
    return ListRow(
        row=row,
        name=values["name"],
        id_number=values["id_number"],
        subsidy_type=values["subsidy_type"],
        village_code=values.get("village_code"),
        target_groups=values.get("target_groups") or (),
        labour_capacity=values.get("labour_capacity") or "full",
        labour_force_override=bool(values.get("labour_force_override")),
        phone=values.get("phone"),
        bank_account=values.get("bank_account"),
        household_no=values.get("household_no"),
        policy_year=values.get("policy_year"),
        facts=facts,
        contract_id=values.get("contract_id"),
    )


# A rule names no field; the column its refusal is about, for the row report.
RULE_COLUMNS: dict[str, str] = {
    "rule.not_target_group": "帮扶对象类别",
    "rule.no_subsidy_in_county": "务工地点",
    "rule.employment_too_short": "就业开始日期",
    "rule.duplicate": "身份证号",
    "rule.exclusive_with": "补贴类型",
    "rule.claimant_kind_not_eligible": "补贴类型",
    "rule.claimant_not_recognised_base": "补贴类型",
    "rule.claimant_not_recognised_workshop": "补贴类型",
    "rule.not_first_business": "补贴类型",
    "rule.not_operating_normally": "是否正常经营",
    "rule.training_not_served": "就业开始日期",
    "rule.already_received": "补贴类型",
    "rule.training_months_over_cap": "以工代训月数",
    "rule.no_active_contract_for_month": "协议编号",
    "rule.month_not_started": "补贴月份",
    "rule.course_not_completed": "是否结业",
    "validation.name_mismatch": "姓名",
    "validation.village": "行政村代码",
}


def cell_masker(headers: Sequence[object]) -> Callable[[Sequence[object]], list[object]]:
    """Cells as they may be stored and shown back: JSON-safe, ID and bank numbers masked."""
    sensitive = {i for i, h in enumerate(headers) if field_of(h) in SENSITIVE}

    def masked(cells: Sequence[object]) -> list[object]:
        out: list[object] = []
        for i, value in enumerate(cells):
            if value is None or (isinstance(value, bool | int | str) and i not in sensitive):
                out.append(value)
            elif i in sensitive:
                text = cell_text(value)
                out.append(mask(text) if text else None)
            elif isinstance(value, float):  # NaN and infinities (JSON allows them) as text
                out.append(
                    int(value) if value.is_integer() else value if math.isfinite(value) else str(value)
                )
            else:
                out.append(cell_text(value))
        return out

    return masked
