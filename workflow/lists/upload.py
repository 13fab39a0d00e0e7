"""An uploaded list read and each of its rows read on its own, with nothing but the file: the
part of an upload a worker process does (``store.heavy``), its result sent back whole."""

from __future__ import annotations

from typing import Any

from .imports import KINDS, Reader
from .parse import RawList, read_list
from .rows import read_row


def read_upload(filename: str, content: bytes, kind: str = "claims") -> tuple[RawList, list[Any]]:
    """The list (``read_list``) and each row read (a row, or a tuple of its errors), in order;
    ``kind`` is ``claims`` or one of the admin's imports (``places``, ``persons``)."""
    reader: Reader
    if kind == "claims":
        raw = read_list(filename, content)
        reader = read_row
    else:
        raw = read_list(filename, content, KINDS[kind].columns)
        reader = KINDS[kind].read
    index = raw.columns.index
    memo: dict[tuple[str, type, object], Any] = {}
    return raw, [reader(number, {f: cells[i] for f, i in index.items()}, memo) for number, cells in raw.rows]
