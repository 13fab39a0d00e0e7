"""The admin's imports (导入) as kinds of list: places (乡镇和行政村) and persons (人员名单),
each with its columns, row reader, template and notes, and the result file's layout they share:
处理结果 (新增 / 更新 / 无变化 / 未导入) / 记录编号 / 更新的列 / 错误代码 / 错误字段 / 错误说明.

Read, checked and reported by the same pieces as a claim list (``parse``, ``headers``,
``cells``, ``rows``, ``template``, ``result``); ``store.imports`` writes the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import persons, places
from .columns import ColumnSet
from .result import ResultLayout
from .template import sheet_template

# (row number, cells by field, memo) -> the row read, or a tuple of its RowErrors
Reader = Callable[[int, Mapping[str, object], dict[tuple[str, type, object], Any]], Any]


@dataclass(frozen=True)
class ImportKind:
    code: str  # places / persons
    label: str  # what the page and the file name call it
    columns: ColumnSet
    read: Reader
    notes: tuple[str, ...]
    shown: tuple[str, ...]  # the fields that tell a row apart on the page (ID numbers masked)


KINDS: dict[str, ImportKind] = {
    "places": ImportKind(
        "places",
        "乡镇和行政村",
        places.PLACE_COLUMNS,
        places.read_place_row,
        places.NOTES,
        ("township_name", "village_name", "village_code"),
    ),
    "persons": ImportKind(
        "persons",
        "人员名单",
        persons.PERSON_COLUMNS,
        persons.read_person_row,
        persons.NOTES,
        ("name", "id_number", "village_code"),
    ),
}

IMPORT_RESULT = ResultLayout(
    statuses={"created": "已新增", "updated": "已更新", "unchanged": "无变化", "refused": "未导入"},
    dry_statuses={
        "created": "将新增（仅校验）",
        "updated": "将更新（仅校验）",
        "unchanged": "无变化",
        "refused": "未通过校验",
    },
    values=(("记录编号", "record_id"), ("更新的列", "changed")),
    number="导入编号",
    modes=("仅校验（未导入）", "正式导入"),
    totals=(("新增", "created"), ("更新", "updated"), ("无变化", "unchanged"), ("未导入", "refused")),
    dry_totals=(
        ("将新增", "created"),
        ("将更新", "updated"),
        ("无变化", "unchanged"),
        ("未通过校验", "refused"),
    ),
)


def import_template(kind: ImportKind) -> bytes:
    """The template of a kind of import: its columns, an example row, and the notes."""
    return sheet_template(kind.columns, kind.notes)
