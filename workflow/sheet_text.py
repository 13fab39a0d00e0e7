"""Text in a spreadsheet cell that stays text: never stored as a formula, marked quote-prefixed
when it begins like one (= + - @, a tab or a line break) so that editing it in Excel keeps it
text, and without the characters XML cannot carry. Every workbook Fuzhi writes (the exports,
a bulk list's result file) writes text through ``text_cell``."""

from __future__ import annotations

import re
from typing import Any

# A text beginning with one of these is what a spreadsheet may take for a formula (= + - @),
# or what hides one behind it (a tab, a line break).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text_cell(ws: Any, value: object, font: Any = None, fill: Any = None) -> Any:
    """A cell of the write-only worksheet ``ws`` holding ``value`` as text (see the module)."""
    from openpyxl.cell import WriteOnlyCell

    text = ILLEGAL.sub("", str(value))
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def safe(ws: Any, value: Any) -> Any:
    """``value`` as written: a text as a ``text_cell``, anything else (numbers, dates, cells
    already made, nothing) as it is."""
    return text_cell(ws, value) if isinstance(value, str) else value
