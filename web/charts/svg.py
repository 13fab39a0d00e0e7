"""The SVG pieces every chart is drawn with: the root element, text, bars, the legend, how wide a
label is, and the round number at the top of an axis. All text is escaped here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
SIZE = 12  # font size of labels, px
# The width a chart is drawn at, px. The page scales a chart to its card, down to 0.9 on a
# phone (past that the chart scrolls sideways: dashboard.css) and up to 1.3 on a desktop, so
# a label is never under 11px nor over 16px; narrower than a desktop card, so that it fits a
# phone almost unscaled.
WIDTH = 372
INK, MUTED, GRID, TRACK = "#1f2933", "#616e7c", "#d9e2ec", "#e4e7eb"
WIDE_PUNCTUATION = frozenset("·—…‘’“”")


@dataclass(frozen=True)
class Series:
    name: str
    color: str


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def text_width(text: str, size: float = SIZE) -> float:
    """A close estimate of the rendered width: CJK and full-width characters (and the
    punctuation a CJK font draws full width) are one em wide, others a little over half."""
    return sum(size if ord(ch) >= 0x2E80 or ch in WIDE_PUNCTUATION else size * 0.58 for ch in text)


def clip(text: str, max_width: float, size: float = SIZE) -> str:
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def nice_ceiling(value: float) -> float:
    """The round number (1, 2, 2.5, 5 × 10ⁿ) at or above ``value``: the top of an axis."""
    if value <= 0:
        return 1.0
    base = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0):
        if value <= step * base:
            return step * base
    return 10.0 * base


def svg(width: float, height: float, title: str, body: list[str]) -> Markup:
    w, h = round(width), round(height)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" style="--w:{w}px" role="img" aria-label="{esc(title)}" '
        f'font-family="{esc(FONT)}" font-size="{SIZE}" fill="{INK}">'
        f"<title>{esc(title)}</title>{''.join(body)}</svg>"
    )


def text_at(
    x: float,
    y: float,
    text: str,
    anchor: str = "start",
    color: str = INK,
    size: float | None = None,
    weight: str | None = None,
) -> str:
    extra = (f' font-size="{size}"' if size else "") + (f' font-weight="{weight}"' if weight else "")
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{color}"{extra}>{esc(text)}</text>'


def rect(x: float, y: float, w: float, h: float, color: str, tip: str | None = None, rx: float = 2) -> str:
    rect = f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" rx="{rx}" fill="{color}">'
    return rect + (f"<title>{esc(tip)}</title></rect>" if tip else "</rect>")


def swatches(series: Sequence[Series], width: float, y: float) -> tuple[list[str], float]:
    """Swatches with names, wrapped to the width; returns the markup and the height used."""
    parts, x, line = [], 0.0, 0
    for s in series:
        w = 14 + text_width(s.name) + 16
        if x > 0 and x + w > width:
            x, line = 0.0, line + 1
        top = y + line * 18
        parts.append(rect(x, top + 2, 10, 10, s.color, s.name, rx=2))
        parts.append(text_at(x + 14, top + 11, s.name, color=MUTED))
        x += w
    return parts, (line + 1) * 18 + 6 if series else 0
