"""The header row of a bulk list: a header (Chinese, an alias or the field code, with spaces,
required-marks and notes dropped) to its field, and where each field sits in the row."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ValidationFailed
from .columns import COLUMNS, HEADER_OF


def normalise_header(raw: object) -> str:
    """``* 身份证号（必填）`` → ``身份证号``: spaces, required-marks and a trailing note dropped."""
    text = re.sub(r"\s+", "", str(raw or ""))
    text = text.strip("*＊")
    return re.sub(r"[（(][^）)]*[）)]$", "", text)


_LOOKUP: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.header, _c.field, *_c.aliases):
        _LOOKUP[normalise_header(_name).lower()] = _c.field


def field_of(header: object) -> str | None:
    """The field a header names (Chinese header, alias or field code), or None."""
    return _LOOKUP.get(normalise_header(header).lower())


@dataclass(frozen=True)
class ColumnMap:
    """Where each known field sits in a row, and the headers nobody knows."""

    index: dict[str, int]
    unknown: tuple[str, ...]


def map_headers(headers: Sequence[object]) -> ColumnMap:
    index: dict[str, int] = {}
    unknown: list[str] = []
    for i, header in enumerate(headers):
        if header is None or str(header).strip() == "":
            continue
        name = field_of(header)
        if name is None:
            unknown.append(str(header))
            continue
        if name in index:
            raise ValidationFailed(
                "validation.list_columns", f"“{HEADER_OF[name]}”列出现了两次", field=HEADER_OF[name]
            )
        index[name] = i
    missing = [c.header for c in COLUMNS if c.required and c.field not in index]
    if missing:
        raise ValidationFailed(
            "validation.list_columns",
            f"缺少必填列：{'、'.join(missing)}（请使用下载的模板）",
            field=missing[0],
            missing=missing,
        )
    return ColumnMap(index, tuple(unknown))
