"""Text in a spreadsheet or CSV cell that stays text, the one rule every writer of a workbook or a
CSV follows (OWASP's CSV injection guidance): a text beginning like a formula (= + - @, their
full-width forms, a tab or a line break, after any spaces) gets a single quote before it, and
in a workbook every text is a string cell, never a formula, marked quote-prefixed when it begins
like one, without the characters XML cannot carry. ``neutral`` is the rule for one text,
``neutral_row`` for a CSV row or a worksheet's ``append``, ``text_cell`` and ``safe`` for a
write-only workbook's cells."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# A text beginning with one of these is what a spreadsheet may take for a formula (= + - @),
# what hides one behind it (a tab, a line break), or what becomes one under NFKC, as a tool
# normalising full-width text would make it (＝ ＋ － ＠).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
QUOTE = "'"
_SPACES = " \u3000\u00a0"  # a spreadsheet may skip these before reading a formula
# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (or as one hidden behind spaces)."""
    return text.lstrip(_SPACES).startswith(FORMULA_STARTS)


def neutral(text: str) -> str:
    """``text`` as a cell holds it: with a single quote before it when it begins like a formula."""
    return QUOTE + text if looks_like_formula(text) else text


def neutral_row(values: Iterable[object]) -> list[object]:
    """A row of a CSV or of an ordinary (not write-only) worksheet: every text through
    ``neutral`` (openpyxl stores a text beginning with "=" as a formula; one beginning with the
    quote it never does), numbers, dates and nothing as they are."""
    return [neutral(v) if isinstance(v, str) else v for v in values]


def text_cell(ws: Any, value: object, font: Any = None, fill: Any = None) -> Any:
    """A cell of the write-only worksheet ``ws`` holding ``value`` as text (see the module)."""
    from openpyxl.cell import WriteOnlyCell

    text = ILLEGAL.sub("", str(value))
    cell = WriteOnlyCell(ws, value=neutral(text))
    cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
    if looks_like_formula(text):
        cell.quotePrefix = True  # and editing it in Excel keeps it text
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def safe(ws: Any, value: Any) -> Any:
    """``value`` as written: a text as a ``text_cell``, anything else (numbers, dates, cells
    already made, nothing) as it is."""
    return text_cell(ws, value) if isinstance(value, str) else value
