"""Files for the admin's imports: sheets of places and persons as .xlsx (built with openpyxl)
or CSV, and ID numbers enough for thousands of distinct persons."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
from stdnum.cn import ric

PLACE_HEADER = ["乡镇代码", "乡镇名称", "行政村代码", "行政村名称"]
PLACES = [
    ["533422101", "升平镇", "533422101001", "阿东村"],
    ["533422101", "升平镇", "533422101002", "巨水村"],
    [None, "奔子栏镇", "533422102001", "奔子栏村"],  # the township's code from the village's
]
PERSON_HEADER = ["姓名", "身份证号", "行政村代码", "帮扶对象类别", "劳动力类型", "联系电话", "银行账号"]
BANK = "6217000000000000123"


def distinct_ids(n: int, first: date = date(1970, 1, 1)) -> list[str]:
    """``n`` valid resident ID numbers of 德钦县, one birth day each (never the builders' own)."""
    out = []
    for i in range(n):
        body = f"533422{(first + timedelta(days=i)):%Y%m%d}{700 + i % 200:03d}"
        out.append(body + ric.calc_check_digit(body + "0"))
    return out


def xlsx(
    header: list[str], rows: list[list[object]], sheet: str = "Sheet1", title: str | None = None
) -> bytes:
    """A workbook as a county office would make it: one sheet, the header in row 1 (in row 2
    under a ``title`` row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(header: list[str], rows: list[list[object]], encoding: str) -> bytes:
    """The same as a CSV file in ``encoding``, lines ended by CRLF as Excel writes them."""
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def person_rows(ids: list[str], village: str = "533422101001") -> list[list[object]]:
    return [
        [f"扎西{i}", number, village, "脱贫人口", "全劳力", "13988887777", BANK]
        for i, number in enumerate(ids)
    ]
