"""Small server-side SVG charts: plain markup with <title> tooltips, no script, no external files.

Every chart is a self-contained ``<svg>`` string (well-formed XML, all text escaped) that the
page puts inline. Labels are given by the caller, already in the page's language. Geometry is
computed in floats; the numbers shown are formatted by the caller's ``fmt`` from the exact
values (Decimal money stays Decimal).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from babel.numbers import format_decimal
from markupsafe import Markup

Number = int | float | Decimal
Fmt = Callable[[Number], str]

FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
SIZE = 12  # font size of labels, px
INK, MUTED, GRID, TRACK = "#1f2933", "#616e7c", "#d9e2ec", "#e4e7eb"
WIDE_PUNCTUATION = frozenset("·—…‘’“”")


@dataclass(frozen=True)
class Series:
    name: str
    color: str


@dataclass(frozen=True)
class Row:
    """One bar (or group of bars, or stack): its label and one value per series."""

    label: str
    values: tuple[Number, ...]
    href: str | None = None


def _e(text: object) -> str:
    return escape(str(text), quote=True)


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


def _svg(width: float, height: float, title: str, body: list[str]) -> Markup:
    w, h = round(width), round(height)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" role="img" aria-label="{_e(title)}" '
        f'font-family="{_e(FONT)}" font-size="{SIZE}" fill="{INK}">'
        f"<title>{_e(title)}</title>{''.join(body)}</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str = "start",
    color: str = INK,
    size: float | None = None,
    weight: str | None = None,
) -> str:
    extra = (f' font-size="{size}"' if size else "") + (f' font-weight="{weight}"' if weight else "")
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{color}"{extra}>{_e(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, color: str, tip: str | None = None, rx: float = 2) -> str:
    rect = f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" rx="{rx}" fill="{color}">'
    return rect + (f"<title>{_e(tip)}</title></rect>" if tip else "</rect>")


def _legend(series: Sequence[Series], width: float, y: float) -> tuple[list[str], float]:
    """Swatches with names, wrapped to the width; returns the markup and the height used."""
    parts, x, line = [], 0.0, 0
    for s in series:
        w = 14 + text_width(s.name) + 16
        if x > 0 and x + w > width:
            x, line = 0.0, line + 1
        top = y + line * 18
        parts.append(_rect(x, top + 2, 10, 10, s.color, s.name, rx=2))
        parts.append(_text(x + 14, top + 11, s.name, color=MUTED))
        x += w
    return parts, (line + 1) * 18 + 6 if series else 0


def hbar_chart(
    rows: Sequence[Row],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Fmt = plain,
    stacked: bool = False,
    width: int = 520,
    label_max: int = 200,
    empty: str = "暂无数据",
    legend: bool | None = None,
    total_label: str | None = None,
    colors: Sequence[str] | None = None,
) -> Markup:
    """Horizontal bars, one row per label: a single bar, a group of bars (one per series), or
    with ``stacked`` one bar split into the series. Each bar says its value in a tooltip;
    rows with an ``href`` are links. ``colors`` gives a single-series chart one colour per row."""
    if legend is None:
        legend = len(series) > 1
    body: list[str] = []
    top = 0.0
    if legend:
        parts, used = _legend(series, width, 0)
        body += parts
        top = used
    if not rows:
        body.append(_text(0, top + 16, empty, color=MUTED))
        return _svg(width, top + 28, title, body)
    label_w = min(label_max, max(text_width(r.label) for r in rows)) + 10
    values = [[float(v) for v in r.values] for r in rows]
    totals = [sum(v) for v in values]
    peak = max((max(totals) if stacked else max(max(v, default=0) for v in values)), 0)
    value_w = max(text_width(fmt(v)) for r in rows for v in ((sum(r.values),) if stacked else r.values)) + 10
    x0, span = label_w, max(width - label_w - value_w, 40)
    scale = span / peak if peak else 0.0
    bar_h = 18.0 if stacked or len(series) == 1 else 12.0
    group_h = bar_h if stacked else bar_h * len(series)
    row_h = group_h + 10
    for i, (row, vals) in enumerate(zip(rows, values, strict=True)):
        y = top + i * row_h + 4
        cell: list[str] = []
        label = clip(row.label, label_w - 10)
        cell.append(
            f'<text x="{label_w - 8:.1f}" y="{y + group_h / 2 + 4:.1f}" '
            f'text-anchor="end"><title>{_e(row.label)}</title>{_e(label)}</text>'
        )
        cell.append(_rect(x0, y, span, group_h, TRACK, rx=2) if peak == 0 else "")
        if stacked:
            x = x0
            for s, v, raw in zip(series, vals, row.values, strict=True):
                if v > 0:
                    w = v * scale
                    cell.append(_rect(x, y, w, bar_h, s.color, f"{row.label} · {s.name}：{fmt(raw)}", rx=0))
                    x += w
            shown = fmt(sum(row.values))
            tip = f"{row.label} · {total_label}：{shown}" if total_label else None
            cell.append(
                f'<text x="{x + 5:.1f}" y="{y + bar_h / 2 + 4:.1f}" fill="{MUTED}">'
                + (f"<title>{_e(tip)}</title>" if tip else "")
                + f"{_e(shown)}</text>"
            )
        else:
            for k, (s, v, raw) in enumerate(zip(series, vals, row.values, strict=True)):
                by = y + k * bar_h
                w = v * scale
                color = colors[i] if colors and len(series) == 1 else s.color
                cell.append(_rect(x0, by + 1, w, bar_h - 2, color, f"{row.label} · {s.name}：{fmt(raw)}"))
                cell.append(
                    _text(
                        x0 + w + 5,
                        by + bar_h / 2 + 4,
                        fmt(raw),
                        color=MUTED,
                        size=SIZE - 1 if len(series) > 1 else None,
                    )
                )
        if row.href:
            body.append(f'<a href="{_e(row.href)}">{"".join(cell)}</a>')
        else:
            body.append(f"<g>{''.join(cell)}</g>")
    return _svg(width, top + len(rows) * row_h + 6, title, body)


def vbar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[Number]],
    *,
    title: str,
    fmt: Fmt = plain,
    axis_fmt: Fmt | None = None,
    width: int = 520,
    height: int = 260,
    empty: str = "暂无数据",
) -> Markup:
    """Vertical bars, one group per category (e.g. a month), one bar per series, with a value
    axis; ``values[k][i]`` is series k's value for category i."""
    axis_fmt = axis_fmt or fmt
    body, used = _legend(series, width, 0)
    top, bottom, left = used + 8, height - 24, 0.0
    flat = [float(v) for vs in values for v in vs]
    peak = nice_ceiling(max(flat, default=0))
    ticks = [peak * k / 4 for k in range(5)]
    left = max(text_width(axis_fmt(_tick(t))) for t in ticks) + 8
    plot_w = width - left - 4
    for t in ticks:
        y = bottom - (bottom - top) * t / peak
        body.append(
            f'<line x1="{left:.1f}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, axis_fmt(_tick(t)), "end", MUTED, SIZE - 1))
    if not categories or not any(flat):
        body.append(_text(left + plot_w / 2, (top + bottom) / 2, empty, "middle", MUTED))
    n = max(len(categories), 1)
    slot = plot_w / n
    bar_w = min(28.0, slot * 0.8 / max(len(series), 1))
    for i, cat in enumerate(categories):
        cx = left + slot * i + slot / 2
        x = cx - bar_w * len(series) / 2
        for k, s in enumerate(series):
            raw = values[k][i]
            h = (bottom - top) * float(raw) / peak
            body.append(
                _rect(
                    x + k * bar_w + 1,
                    bottom - h,
                    bar_w - 2,
                    h,
                    s.color,
                    f"{cat} · {s.name}：{fmt(raw)}",
                    rx=1,
                )
            )
        body.append(_text(cx, bottom + 16, cat, "middle", MUTED, SIZE - 1))
    body.append(
        f'<line x1="{left:.1f}" x2="{width - 4}" y1="{bottom:.1f}" y2="{bottom:.1f}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    return _svg(width, height, title, body)


def _tick(value: float) -> Number:
    return int(value) if float(value).is_integer() else Decimal(str(round(value, 2)))


@dataclass(frozen=True)
class Part:
    label: str
    value: Number
    color: str


def progress_bar(
    parts: Sequence[Part],
    total: Number,
    *,
    title: str,
    fmt: Fmt = plain,
    width: int = 520,
    rest: str | None = None,
    caption: str | None = None,
) -> Markup:
    """A gauge: how much of ``total`` the parts fill, as one bar with the share in large type;
    ``rest`` names the unfilled remainder in the legend."""
    done = sum((float(p.value) for p in parts), 0.0)
    whole = float(total)
    body = [
        _text(0, 22, percent(done, whole), size=22, weight="700"),
        _text(width, 22, caption or f"{fmt(sum(p.value for p in parts))} / {fmt(total)}", "end", MUTED),
    ]
    y, h = 32.0, 16.0
    body.append(_rect(0, y, width, h, TRACK, f"{rest}：{fmt(_minus(total, parts))}" if rest else None, rx=3))
    x = 0.0
    for p in parts:
        w = width * float(p.value) / whole if whole else 0.0
        if w > 0:
            body.append(
                _rect(x, y, w, h, p.color, f"{p.label}：{fmt(p.value)}（{percent(p.value, total)}）", rx=0)
            )
            x += w
    legend = [Series(f"{p.label} {fmt(p.value)}", p.color) for p in parts]
    if rest:
        legend.append(Series(f"{rest} {fmt(_minus(total, parts))}", TRACK))
    marks, used = _legend(legend, width, y + h + 8)
    body += marks
    return _svg(width, y + h + 8 + used, title, body)


def _minus(total: Number, parts: Sequence[Part]) -> Number:
    left = Decimal(str(total)) - sum((Decimal(str(p.value)) for p in parts), Decimal(0))
    return max(left, Decimal(0))
