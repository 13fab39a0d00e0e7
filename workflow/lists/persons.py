"""The persons the admin or HR imports (人员名单): the columns (a ``ColumnSet``, mostly the
person columns of a claim list, read the same way: the ID number checked with python-stdnum,
coded choices by label or code) and a row read and checked on its own (``PersonRow``, or every
error found in it).

A person already registered under the ID number keeps whatever an empty cell leaves out: only
the cells filled in are the row's word, so a sheet of names, ID numbers and phones updates the
phones and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from .columns import BY_FIELD, Column, ColumnSet
from .rows import RowError, read_cells

EXAMPLE_ID = BY_FIELD["id_number"].example
OPTIONAL = (  # what a row may say of a person beyond name, ID number and village
    "household_no",
    "target_groups",
    "labour_capacity",
    "labour_force_override",
    "phone",
    "bank_account",
    "graduate_left_school",
)
PERSON_COLUMNS = ColumnSet(
    "人员名单",
    (
        BY_FIELD["name"],
        BY_FIELD["id_number"],
        replace(
            BY_FIELD["village_code"],
            help="12位行政村代码（如533422101001），须为系统中已有的行政村（先导入乡镇和行政村）。",
            required=True,
        ),
        BY_FIELD["household_no"],
        replace(
            BY_FIELD["target_groups"],
            help="脱贫人口、易地搬迁人口、农村低收入人口，可填多个，用“、”分隔。",
        ),
        replace(
            BY_FIELD["labour_capacity"], help="全劳力、弱劳力、半劳力或无劳动力；新登记人员不填为全劳力。"
        ),
        BY_FIELD["labour_force_override"],
        BY_FIELD["phone"],
        replace(BY_FIELD["bank_account"], help="本人银行卡号（12至30位数字），用于发放补贴；可不填。"),
        Column(
            "graduate_left_school",
            "离校日期",
            "date",
            "高校毕业生离开学校的日期（大学生公岗用），可不填。",
            None,
            aliases=("毕业离校日期", "毕业日期"),
        ),
    ),
    text_fields=("id_number", "bank_account", "village_code", "phone", "household_no"),
)
HEADER = PERSON_COLUMNS.header_of
NOTES = (
    "每行是一名人员。身份证号已在系统中的，按本行更新所填的各列（空白的列保持原值），姓名须与登记一致。",
    "第2行是示例（其身份证号为虚构号码），导入前请删除或改为实际人员，保留示例身份证号的行不予导入。",
    "行政村代码须为系统中已有的行政村：请先导入乡镇和行政村。",
    "同一文件中同一身份证号只能出现一次；重复导入同一文件不会重复登记。",
    "可以先“校验”，确认无误后再“导入”；处理结果文件会逐行列出导入情况和原因，身份证号和银行账号只显示前后几位。",
    "也可上传CSV（UTF-8或GBK编码）文件，第一行为列名。一个文件最多20000行、10MB。",
)


@dataclass(frozen=True)
class PersonRow:
    """One person, read and checked cell by cell; ``given``: the other cells filled in."""

    row: int
    name: str
    id_number: str
    village_code: str
    given: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.given.get(name, default)

    @property
    def left_school(self) -> date | None:
        return self.given.get("graduate_left_school")


def read_person_row(
    row: int, cells: Mapping[str, object], memo: dict[tuple[str, type, object], Any] | None = None
) -> PersonRow | tuple[RowError, ...]:
    """A row's cells by field → the person, or every error found in it."""
    values, errors = read_cells(cells, PERSON_COLUMNS.by_field, memo)
    for name in ("name", "id_number", "village_code"):
        if values.get(name) is None and not any(e.column == HEADER[name] for e in errors):
            errors.append(RowError(HEADER[name], "validation.required", f"缺少“{HEADER[name]}”"))
    if values.get("id_number") == EXAMPLE_ID:
        return (
            RowError(
                HEADER["id_number"],
                "validation.example_row",
                "这是模板中的示例行（身份证号为虚构号码），请删除或改为实际人员",
            ),
        )
    if errors:
        return tuple(errors)
    given = {k: values[k] for k in OPTIONAL if k in values and values[k] not in (None, ())}
    return PersonRow(row, values["name"], values["id_number"], values["village_code"].strip(), given)
