"""Reading an uploaded ``.xlsx``: the sheet 申报清单 (else the first sheet with a header row)
as rows of raw cells numbered as the sheet numbers them. Another kind of list (``ColumnSet``)
names its own sheet.

Read with python-calamine (a Rust parser, some 20× less CPU than openpyxl). What it gives,
and how it is made to look like what the list readers expect:

- empty cells come as ``""``: made ``None``; leading empty rows and columns are cut off
  (``sheet.start`` says how many): rows keep the sheet's numbers, columns are put back;
- every number is a float (3000 is ``3000.0``; an ID number typed as a number was rounded by
  Excel to 15 significant digits): ``cells`` reads an integral float as the number it
  shows and refuses a float in an ID or bank column;
- dates are ``date`` (``datetime`` with a time), booleans ``bool``, formulas their cached value.

calamine holds a sheet as one dense block from its first to its last cell with a value, so a
single stray value at XFD1048576 in a 10 KB file would ask for gigabytes and abort the process.
So the workbook is first checked by ``limits`` (members, sizes, rows, columns, cells: refused
with HTTP 413 past a limit) and calamine reads the copy ``limits`` repacked from the very
bytes it counted; its dense block is then at most ``Limits.rows`` × ``Limits.columns``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from ..errors import ValidationFailed
from .columns import CLAIM_COLUMNS, ColumnSet
from .limits import DEFAULT, UNREADABLE, Limits, checked_xlsx
from .table import RawList, format_error, table_of

SHEET = CLAIM_COLUMNS.sheet
_UNREADABLE = UNREADABLE


def read_xlsx(content: bytes, columns: ColumnSet = CLAIM_COLUMNS, limits: Limits = DEFAULT) -> RawList:
    packed, _extents = checked_xlsx(content, limits)
    return _calamine(packed, columns)


def _sheet_order(names: list[str], sheet: str) -> list[str]:
    return ([sheet] if sheet in names else []) + [n for n in names if n != sheet]


def _first_table(
    sheets: Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]], columns: ColumnSet
) -> RawList:
    """The list's own sheet (申报清单) if there is one, else the first sheet in which a header
    row is found."""
    first_error: ValidationFailed | None = None
    for name, rows in sheets:
        try:
            return table_of("xlsx", rows, columns)
        except ValidationFailed as exc:
            if exc.code != "validation.list_header" or name == columns.sheet:
                raise
            first_error = first_error or exc
    raise first_error or format_error("工作簿中没有工作表")


def _calamine(content: bytes, columns: ColumnSet) -> RawList:
    import python_calamine as calamine

    try:
        wb = calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except BaseException as exc:
        _reraise_unless_unreadable(exc)
        raise format_error(_UNREADABLE) from None
    worksheets = {m.name for m in wb.sheets_metadata if m.typ == calamine.SheetTypeEnum.WorkSheet}

    def sheets() -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
        for name in _sheet_order([n for n in wb.sheet_names if n in worksheets], columns.sheet):
            sheet = wb.get_sheet_by_name(name)
            yield name, _calamine_rows(sheet.start, sheet.to_python())

    try:
        return _first_table(sheets(), columns)
    except ValidationFailed:
        raise
    except BaseException as exc:
        _reraise_unless_unreadable(exc)
        raise format_error(_UNREADABLE) from None
    finally:
        wb.close()


def _reraise_unless_unreadable(exc: BaseException) -> None:
    """A Rust panic inside calamine is a BaseException (pyo3's PanicException): the file
    is unreadable; KeyboardInterrupt, SystemExit and the like go on."""
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc


def _calamine_rows(
    start: tuple[int, int] | None, rows: list[list[Any]]
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The sheet's rows numbered as the sheet numbers them, empty cells ``None``, the cut-off
    leading columns put back (headers and cells keep the places they have in the sheet)."""
    first_row, first_column = start or (0, 0)
    lead = (None,) * first_column
    for i, row in enumerate(rows, first_row + 1):
        yield i, lead + tuple([None if c == "" else c for c in row])
