"""Excel exports: sheets of typed columns and rows in, ``.xlsx`` bytes out (openpyxl, write-only),
each sheet under a title row saying what it is, who exported it and when; money as numbers
(0.00), dates as dates, ID and bank numbers masked, and no cell that Excel could read as a
formula."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.identity import mask
from workflow.sheet_text import text_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a column holds: how its cells are written.
KINDS = ("text", "int", "money", "date", "datetime", "percent", "id_number", "bank_account")
MASKED_KINDS = ("id_number", "bank_account")
FORMATS = {"money": "0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm", "percent": "0.0%"}
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    header: str  # Chinese, as the page says it
    kind: str = "text"
    width: float | None = None  # in characters; from the header when None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    notes: Sequence[str] = field(default_factory=tuple)  # under the title: scope, filters, a cap


@dataclass(frozen=True)
class Book:
    title: str  # what was exported (the page's name)
    who: str  # who exported it
    at: datetime  # when (the injected clock)
    sheets: Sequence[Sheet]


def masked(value: object) -> str:
    """An ID or bank number as the pages show it: masked unless it already is."""
    text = "" if value is None else str(value).strip()
    return text if "*" in text else mask(text)


def sheet_name(name: str, taken: set[str]) -> str:
    """A name Excel accepts (31 characters, none of []:*?/\\), distinct from the others."""
    base = _SHEET_NAME.sub("", name).strip() or "Sheet"
    base, n, chosen = base[:31], 1, base[:31]
    while chosen in taken:
        n += 1
        chosen = f"{base[: 31 - len(str(n)) - 1]}_{n}"
    taken.add(chosen)
    return chosen


def workbook_bytes(book: Book) -> bytes:
    """The workbook: one worksheet per sheet, written row by row (write-only: a long list never
    sits in memory as cell objects)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold, big = Font(bold=True), Font(bold=True, size=14)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    taken: set[str] = set()
    stamp = f"导出人：{book.who}　导出时间：{book.at:%Y-%m-%d %H:%M}"
    try:
        for sheet in book.sheets:
            ws = wb.create_sheet(sheet_name(sheet.name, taken))
            writer = _Cells(ws)
            for i, column in enumerate(sheet.columns, 1):
                ws.column_dimensions[get_column_letter(i)].width = column.width or _width(column.header)
            heading = book.title if sheet.name == book.title else f"{book.title}：{sheet.name}"
            top = [writer.text(heading, big), writer.text(stamp)]
            top += [writer.text(note) for note in sheet.notes]
            header_row = len(top) + 1
            ws.freeze_panes = f"A{header_row + 1}"
            for cell in top:
                ws.append([cell])
            ws.append([writer.text(c.header, bold, head_fill) for c in sheet.columns])
            kinds = [c.kind for c in sheet.columns]
            for row in sheet.rows:
                ws.append([writer.value(kind, value) for kind, value in zip(kinds, row, strict=True)])
    except BaseException:
        for ws in wb.worksheets:  # end each sheet's stream, so that nothing writes to it later
            if not ws.closed:
                ws.close()
        raise
    if not book.sheets:
        wb.create_sheet("Sheet")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _width(header: str) -> float:
    return max(10.0, sum(2 if ord(ch) >= 0x2E80 else 1 for ch in header) + 3.0)


class _Cells:
    """Cells of one write-only worksheet, each written as its column's kind says."""

    def __init__(self, ws: Any) -> None:
        from openpyxl.cell import WriteOnlyCell

        self.ws = ws
        self.make = WriteOnlyCell

    def text(self, value: object, font: Any = None, fill: Any = None) -> Any:
        """A text cell that stays text (``workflow.sheet_text``)."""
        return text_cell(self.ws, value, font, fill)

    def value(self, kind: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if kind in MASKED_KINDS:
            return self.text(masked(value))
        typed = _typed(kind, value)
        if typed is None:  # not what the column holds: kept as (safe) text
            return self.text(value)
        if kind == "text":
            return self.text(typed)
        cell = self.make(self.ws, value=typed)
        if kind in FORMATS:
            cell.number_format = FORMATS[kind]
        return cell


def _typed(kind: str, value: Any) -> Any:
    """The value as its column's kind, or None when it is not one."""
    if kind == "text":
        return value if isinstance(value, str) else str(value)
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind in ("money", "percent"):
        if isinstance(value, float):  # its binary rounding is not money: a caller's mistake
            raise TypeError(f"a float in a {kind} column: {value!r}; pass a Decimal")
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        return number.quantize(Decimal("0.01")) if kind == "money" else number
    if kind == "datetime":
        return value if isinstance(value, datetime) else None
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else None
    return None
