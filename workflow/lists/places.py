"""The places the admin imports (乡镇和行政村): one row per village with its township; the
columns (a ``ColumnSet`` read by the same machinery as a claim list) and a row read and
checked on its own (``PlaceRow``, or every error found in it).

Codes are the statistical division codes: a village 12 digits, its township the first 9
(533422101001 is in 533422101, of county 533422). The template's example row has codes of
county 000000, which no county has: a row that keeps it is refused (``validation.example_row``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .columns import Column, ColumnSet
from .rows import RowError, read_cells

EXAMPLE_COUNTY = "000000"
PLACE_COLUMNS = ColumnSet(
    "乡镇和行政村",
    (
        Column(
            "township_code",
            "乡镇代码",
            "text",
            "9位乡镇（街道）代码，即行政村代码的前9位；可不填，按行政村代码推出。",
            EXAMPLE_COUNTY + "101",
            max_len=15,
            aliases=("乡镇街道代码", "乡镇编码"),
        ),
        Column(
            "township_name",
            "乡镇名称",
            "text",
            "乡镇（街道）名称，如升平镇。",
            "示例镇",
            required=True,
            max_len=50,
            aliases=("乡镇", "乡镇街道", "乡镇街道名称"),
        ),
        Column(
            "village_code",
            "行政村代码",
            "text",
            "12位行政村（社区）代码（统计用区划代码），如533422101001。请将此列设为“文本”格式。",
            EXAMPLE_COUNTY + "101001",
            required=True,
            max_len=15,
            aliases=("村代码", "行政村编码", "村级代码"),
        ),
        Column(
            "village_name",
            "行政村名称",
            "text",
            "行政村（社区）名称，如阿东村。",
            "示例村",
            required=True,
            max_len=50,
            aliases=("行政村", "村名", "村委会", "村（社区）名称"),
        ),
    ),
    text_fields=("township_code", "village_code"),
)
HEADER = PLACE_COLUMNS.header_of
NOTES = (
    "每行是一个行政村（社区）及其所属乡镇；同一乡镇的各村写多行，乡镇名称须一致。",
    "第2行是示例（代码以000000开头，为虚构），导入前请删除或改为实际的乡镇和行政村，保留示例代码的行不予导入。",
    "行政村代码已在系统中的，按本行更新名称和所属乡镇；相同的不作改动，重复导入同一文件不会重复登记。",
    "可以先“校验”，确认无误后再“导入”；处理结果文件会逐行列出导入情况和原因。",
    "也可上传CSV（UTF-8或GBK编码）文件，第一行为列名。",
)


@dataclass(frozen=True)
class PlaceRow:
    """One village and its township, read and checked: codes of 12 and 9 digits that agree."""

    row: int
    township_code: str
    township_name: str
    village_code: str
    village_name: str

    @property
    def county_code(self) -> str:
        return self.village_code[:6]


def _digits(value: str | None) -> str | None:
    return None if value is None else re.sub(r"\s+", "", value)


def read_place_row(
    row: int, cells: Mapping[str, object], memo: dict[tuple[str, type, object], Any] | None = None
) -> PlaceRow | tuple[RowError, ...]:
    """A row's cells by field → the place, or every error found in it."""
    values, errors = read_cells(cells, PLACE_COLUMNS.by_field, memo)
    for name in ("township_name", "village_code", "village_name"):
        if values.get(name) is None and not any(e.column == HEADER[name] for e in errors):
            errors.append(RowError(HEADER[name], "validation.required", f"缺少“{HEADER[name]}”"))
    village = _digits(values.get("village_code"))
    township = _digits(values.get("township_code"))
    if village is not None and not re.fullmatch(r"\d{12}", village):
        errors.append(
            RowError(
                HEADER["village_code"],
                "validation.village_code",
                f"“{HEADER['village_code']}”须为12位数字，如533422101001",
            )
        )
        village = None
    if township is not None:
        if re.fullmatch(r"\d{9}(000)?", township) is None:
            errors.append(
                RowError(
                    HEADER["township_code"],
                    "validation.township_code",
                    f"“{HEADER['township_code']}”须为9位数字（行政村代码的前9位），如533422101",
                )
            )
        elif village is not None and township[:9] != village[:9]:
            errors.append(
                RowError(
                    HEADER["township_code"],
                    "validation.township_code",
                    f"行政村代码“{village}”不属于乡镇代码“{township[:9]}”（行政村代码的前9位应为所属乡镇的代码）",
                )
            )
    if village is not None and village.startswith(EXAMPLE_COUNTY):
        return (
            RowError(
                HEADER["village_code"],
                "validation.example_row",
                "这是模板中的示例行（代码以000000开头，为虚构），请删除或改为实际的乡镇和行政村",
            ),
        )
    if errors:
        return tuple(errors)
    assert village is not None
    return PlaceRow(row, village[:9], values["township_name"], village, values["village_name"])
