"""Rows of raw cells → a list (``RawList``): the header row found (under any title rows), the
columns mapped, empty rows skipped, the data rows kept (at most ``MAX_ROWS``); and the error
of a file that cannot be read at all (``format_error``). Shared by every format's reader and
every kind of list (``ColumnSet``: the claims' unless told).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationFailed
from .cells import clean_text
from .columns import CLAIM_COLUMNS, ColumnSet
from .headers import ColumnMap, field_of, map_headers

MAX_ROWS = 20_000
HEADER_SCAN = 10  # rows searched for the header


@dataclass(frozen=True)
class RawList:
    file_format: str  # xlsx / csv / json
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]  # (row number, cells aligned with headers)
    columns: ColumnMap  # where each known field sits


def format_error(message: str) -> ValidationFailed:
    return ValidationFailed("validation.list_format", message, field="file")


def too_many_rows() -> ValidationFailed:
    return ValidationFailed(
        "validation.list_too_many_rows",
        f"一份清单最多{MAX_ROWS}行，请分成几份上传",
        field="file",
        limit=MAX_ROWS,
    )


def table_of(
    fmt: str, rows: Iterable[tuple[int, tuple[Any, ...]]], columns: ColumnSet = CLAIM_COLUMNS
) -> RawList:
    """Find the header row, then keep the non-empty rows under it (at most MAX_ROWS)."""
    it = iter(rows)
    headers: tuple[str, ...] | None = None
    seen = 0
    for _number, cells in it:
        if blank(cells):
            continue
        seen += 1
        if sum(field_of(c, columns) is not None for c in cells if c is not None) >= 2:
            headers = tuple("" if c is None else clean_text(str(c)).strip() for c in cells)
            break
        if seen >= HEADER_SCAN:
            break
    if headers is None:
        first, second = (c.header for c in columns.required[:2])
        raise ValidationFailed(
            "validation.list_header",
            f"找不到表头行：第一行应为列名（如“{first}”“{second}”），请使用下载的模板",
            field="file",
        )
    while headers and headers[-1] == "":
        headers = headers[:-1]
    mapped = map_headers(headers, columns)  # missing or doubled columns: before anything else
    width = len(headers)
    data: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in it:
        if blank(cells):
            continue
        if len(data) >= MAX_ROWS:
            raise too_many_rows()
        cells = tuple([clean_text(c) if isinstance(c, str) else c for c in cells[:width]])
        data.append((number, cells + (None,) * (width - len(cells))))
    if not data:
        raise ValidationFailed("validation.list_empty", "清单中没有数据行", field="file")
    return RawList(fmt, headers, tuple(data), mapped)


def blank(cells: tuple[Any, ...]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
