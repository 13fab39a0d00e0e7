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
single stray cell at XFD1048576 in a 10 KB file would ask for gigabytes and abort the
process. Before it is used, every worksheet of the file is searched for a cell reference
beyond ``LAST_ROW``/``LAST_COLUMN`` (or a part larger than ``MAX_XML``); such a file is read
as before, row by row with openpyxl in read-only mode, slowly but in little memory.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

from ..errors import ValidationFailed
from .columns import CLAIM_COLUMNS, ColumnSet
from .table import RawList, format_error, table_of

SHEET = CLAIM_COLUMNS.sheet
LAST_ROW = 49_999  # rows 50000+ or columns BA+ anywhere: openpyxl (see the docstring)
LAST_COLUMN = "AZ"
MAX_XML = 100 * 1024 * 1024  # one XML part, uncompressed
_FAR = re.compile(rb'r="(?:[A-Z]{0,3}(?:[0-9]{6,}|[5-9][0-9]{4})"|[A-Z]{3}|[B-Z][A-Z][0-9])')
_SPACE = (b" ", b"\t", b"\n", b"\r")
_UNREADABLE = "无法读取该Excel文件，请确认是.xlsx格式并可在Excel中正常打开"


def read_xlsx(content: bytes, columns: ColumnSet = CLAIM_COLUMNS) -> RawList:
    try:
        compact = _compact(content)
    except Exception:  # not a zip, a broken one: all the same to the agent
        raise format_error(_UNREADABLE) from None
    return _calamine(content, columns) if compact else _openpyxl(content, columns)


def _compact(content: bytes) -> bool:
    """Whether every cell reference of every worksheet lies within A1:{LAST_COLUMN}{LAST_ROW}
    and no worksheet's XML is larger than MAX_XML (the regex over-matches, never
    under-matches: at worst a file is read the slow way)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        names = set(z.namelist())
        for name in _worksheet_parts(z.read("xl/_rels/workbook.xml.rels")):
            if name not in names:
                return False
            with z.open(name) as part:
                xml = part.read(MAX_XML + 1)
            if len(xml) > MAX_XML:
                return False
            if any(xml[m.start() - 1 : m.start()] in _SPACE for m in _FAR.finditer(xml)):
                return False  # an attribute r (not lastClr="000000")
    return True


def _worksheet_parts(rels: bytes) -> list[str]:
    """The zip paths of the workbook's worksheets, as calamine finds them: by the workbook's
    relationships, a target relative to ``xl/`` unless it starts with ``/`` or ``xl/``."""
    parts = []
    for rel in ElementTree.fromstring(rels):
        if rel.get("Type", "").endswith("/worksheet"):
            target = rel.get("Target", "")
            if target.startswith("/"):
                parts.append(target[1:])
            elif target.startswith("xl/"):
                parts.append(target)
            else:
                parts.append(posixpath.normpath("xl/" + target))
    return parts


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


def _openpyxl(content: bytes, columns: ColumnSet) -> RawList:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise format_error(_UNREADABLE) from None

    def sheets() -> Iterator[tuple[str, Iterator[tuple[int, tuple[Any, ...]]]]]:
        for name in _sheet_order(wb.sheetnames, columns.sheet):
            ws = wb[name]
            if not hasattr(ws, "reset_dimensions"):  # a chart sheet
                continue
            ws.reset_dimensions()  # a wrong <dimension> would cut rows short
            yield name, ((i, tuple(r)) for i, r in enumerate(ws.iter_rows(values_only=True), 1))

    try:
        return _first_table(sheets(), columns)
    except ValidationFailed:
        raise
    except Exception:
        raise format_error(_UNREADABLE) from None
    finally:
        wb.close()
