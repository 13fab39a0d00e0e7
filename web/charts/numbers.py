"""How the charts (and the dashboard) write numbers: counts and yuan with thousands separators in
the page's language, shares as percentages; the type of a value a chart draws."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from babel.numbers import format_decimal

Number = int | float | Decimal
Fmt = Callable[[Number], str]


def plain(value: Number) -> str:
    return f"{value}"


def money(value: Number, lang: str = "zh_CN") -> str:
    """Yuan with two decimals and thousands separators: 12,345.60."""
    return format_decimal(Decimal(str(value)), format="#,##0.00", locale=_locale(lang))


def count(value: Number, lang: str = "zh_CN") -> str:
    return format_decimal(value, format="#,##0", locale=_locale(lang))


def percent(part: Number, whole: Number) -> str:
    if not whole:
        return "–"
    return f"{float(part) * 100 / float(whole):.1f}%"


def _locale(lang: str) -> str:
    return "en" if lang == "en" else "zh_CN"
