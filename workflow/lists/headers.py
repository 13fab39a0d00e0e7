"""The header row of a bulk list: a header (Chinese, an alias or the field code, with spaces,
required-marks and notes dropped) to its field, and where each field sits in the row. Every
function reads the claims' columns unless it is given another ``ColumnSet``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..errors import ValidationFailed
from .columns import CLAIM_COLUMNS, ColumnSet


def normalise_header(raw: object) -> str:
    """``* 身份证号（必填）`` → ``身份证号``: spaces, required-marks and a trailing note dropped."""
    text = re.sub(r"\s+", "", str(raw or ""))
    text = text.strip("*＊")
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


@cache
def lookup(columns: ColumnSet) -> dict[str, str]:
    """Every name a column of the set is known by (normalised, lower case) to its field."""
    found: dict[str, str] = {}
    for c in columns.columns:
        for name in (c.header, c.field, *c.aliases):
            found[normalise_header(name).lower()] = c.field
    return found


def field_of(header: object, columns: ColumnSet = CLAIM_COLUMNS) -> str | None:
    """The field a header names (Chinese header, alias or field code), or None."""
    return lookup(columns).get(normalise_header(header).lower())


@dataclass(frozen=True)
class ColumnMap:
    """Where each known field sits in a row, and the headers nobody knows."""

    index: dict[str, int]
    unknown: tuple[str, ...]


def map_headers(headers: Sequence[object], columns: ColumnSet = CLAIM_COLUMNS) -> ColumnMap:
    index: dict[str, int] = {}
    unknown: list[str] = []
    header_of = columns.header_of
    for i, header in enumerate(headers):
        if header is None or str(header).strip() == "":
            continue
        name = field_of(header, columns)
        if name is None:
            unknown.append(str(header))
            continue
        if name in index:
            raise ValidationFailed(
                "validation.list_columns", f"“{header_of[name]}”列出现了两次", field=header_of[name]
            )
        index[name] = i
    missing = [c.header for c in columns.required if c.field not in index]
    if missing:
        raise ValidationFailed(
            "validation.list_columns",
            f"缺少必填列：{'、'.join(missing)}（请使用下载的模板）",
            field=missing[0],
            missing=missing,
        )
    return ColumnMap(index, tuple(unknown))
