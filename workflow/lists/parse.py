"""Reading an uploaded list: bytes and a file name → the header and rows of raw cells.

- ``.xlsx``: the sheet 申报清单 (else the first sheet with a header row), read with
  python-calamine (see ``xlsx``); row numbers are the sheet's.
- ``.csv``: UTF-8 with or without BOM, else GBK/GB18030 (how Chinese Excel saves CSV),
  or UTF-16 with BOM; comma, tab or semicolon separated; row numbers count records.
- JSON: ``{"rows": [{field: value}, ...]}`` or the list itself; keys are field codes or
  Chinese headers, facts may be nested under ``"facts"``; row numbers count from 1.

The header row may sit under a title row: it is the first of the first rows that names at
least two known columns. Empty rows are skipped (``table``). A file that cannot be read at all raises
``ValidationFailed`` with a ``validation.list_*`` code. Which columns are known is the
``ColumnSet`` the reader is given: the claims' unless told.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from ..errors import ValidationFailed
from .cells import clean_text
from .columns import CLAIM_COLUMNS, ColumnSet
from .headers import field_of, map_headers
from .limits import DEFAULT, sheet_columns, sheet_rows
from .table import MAX_ROWS, RawList, format_error, table_of, too_many_rows
from .xlsx import read_xlsx

__all__ = ["FORMATS", "MAX_BYTES", "MAX_ROWS", "RawList", "decode_text", "read_list", "sniff"]

MAX_BYTES = 10 * 1024 * 1024
FORMATS = ("xlsx", "csv", "json")
_EXTENSIONS = {"": None, ".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".txt": "csv", ".json": "json"}


def read_list(filename: str, content: bytes, columns: ColumnSet = CLAIM_COLUMNS) -> RawList:
    if not content or not content.strip():
        raise ValidationFailed("validation.list_empty", "上传的文件是空的", field="file")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            "validation.list_too_large",
            f"文件超过{MAX_BYTES // (1024 * 1024)}MB，请分成几份上传",
            field="file",
            limit=MAX_BYTES,
        )
    fmt = sniff(filename, content)
    if fmt == "xlsx":
        return read_xlsx(content, columns)
    if fmt == "json":
        return _json(content, columns)
    return table_of("csv", _csv_rows(content), columns)


def sniff(filename: str, content: bytes) -> str:
    """The format, by content first and by the name's extension where the content is text."""
    ext = PurePath(filename or "").suffix.lower()
    if content.startswith(b"\xd0\xcf\x11\xe0") or ext == ".xls":
        raise format_error("不支持旧版Excel（.xls）文件，请在Excel中另存为.xlsx或.csv后上传")
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if ext not in _EXTENSIONS:
        raise format_error("只能上传.xlsx、.csv或JSON格式的清单")
    if ext == ".xlsx" or ext == ".xlsm":
        raise format_error("文件内容不是有效的.xlsx工作簿")
    head = content.lstrip(codecs.BOM_UTF8).lstrip()[:1]
    if ext == ".json" or head in (b"{", b"["):
        return "json"
    return "csv"


# ----------------------------------------------------------------------------- csv


def decode_text(content: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if content.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        if b"\x00" in content:
            raise format_error("文件不是文本格式的CSV")
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise format_error("无法识别CSV文件的编码（应为UTF-8或GBK）")


def _csv_rows(content: bytes) -> Iterator[tuple[int, tuple[Any, ...]]]:
    text = decode_text(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, 1):
            if number > DEFAULT.rows:  # blank records too: they cost as much to skip
                raise sheet_rows(number)
            if len(record) > DEFAULT.columns and any(c.strip() for c in record[DEFAULT.columns :]):
                raise sheet_columns(len(record))
            yield number, tuple(cell.strip() or None for cell in record[: DEFAULT.columns])
    except csv.Error:
        raise format_error("CSV文件格式有误，无法读取") from None


# ----------------------------------------------------------------------------- json


def _json(content: bytes, columns: ColumnSet) -> RawList:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise format_error("JSON格式有误，无法读取") from None
    if isinstance(data, dict):
        data = data.get("rows")
    if not isinstance(data, list):
        raise format_error('JSON应为 {"rows": [...]} 或一个数组')
    if not data:
        raise ValidationFailed("validation.list_empty", "清单中没有数据行", field="file")
    if len(data) > MAX_ROWS:
        raise too_many_rows()
    flat: list[dict[str, Any]] = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise format_error(f"第{i}行不是对象（应为 {{字段: 值}}）")
        row: dict[str, Any] = {}
        for key, value in item.items():
            if key == "facts" and isinstance(value, dict):
                row.update({clean_text(str(k)): _clean(v) for k, v in value.items()})
            else:
                row[clean_text(str(key))] = _clean(value)
        flat.append(row)
    keys: dict[str, None] = {}
    for row in flat:
        keys.update(dict.fromkeys(row))
        if len(keys) > DEFAULT.columns:
            raise sheet_columns(len(keys))
    # Known fields get their Chinese header, so the result file reads like an uploaded sheet.
    headers = tuple(columns.header_of[f] if (f := field_of(k, columns)) else k for k in keys)
    rows = tuple((i, tuple(row.get(k) for k in keys)) for i, row in enumerate(flat, 1))
    if sum(field_of(h, columns) is not None for h in headers) < 2:
        raise ValidationFailed(
            "validation.list_header",
            "JSON中没有可识别的字段（如name、id_number、subsidy_type）",
            field="file",
        )
    mapped = map_headers(headers, columns)
    if mapped.unknown:  # a program wrote it: a key nobody knows is a mistake, not a note
        name = mapped.unknown[0]
        raise ValidationFailed("validation.list_columns", f"不认识的字段“{name}”", field=name)
    return RawList("json", headers, rows, mapped)


def _clean(value: Any) -> Any:
    """JSON values with every string in them made safe (see ``clean_text``)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean(v) for k, v in value.items()}
    return value
