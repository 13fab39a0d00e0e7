"""Bar charts: horizontal bars (single, grouped or stacked, one row per label) and vertical bars
with a value axis (one group per category, e.g. a month)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from .numbers import Fmt, Number, plain
from .svg import (
    GRID,
    MUTED,
    SIZE,
    TRACK,
    WIDTH,
    Series,
    clip,
    esc,
    nice_ceiling,
    rect,
    svg,
    swatches,
    text_at,
    text_width,
)


@dataclass(frozen=True)
class Row:
    """One bar (or group of bars, or stack): its label and one value per series."""

    label: str
    values: tuple[Number, ...]
    href: str | None = None


def hbar_chart(
    rows: Sequence[Row],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Fmt = plain,
    stacked: bool = False,
    width: int = WIDTH,
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
        parts, used = swatches(series, width, 0)
        body += parts
        top = used
    if not rows:
        body.append(text_at(0, top + 16, empty, color=MUTED))
        return svg(width, top + 28, title, body)
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
            f'text-anchor="end"><title>{esc(row.label)}</title>{esc(label)}</text>'
        )
        cell.append(rect(x0, y, span, group_h, TRACK, rx=2) if peak == 0 else "")
        if stacked:
            x = x0
            for s, v, raw in zip(series, vals, row.values, strict=True):
                if v > 0:
                    w = v * scale
                    cell.append(rect(x, y, w, bar_h, s.color, f"{row.label} · {s.name}：{fmt(raw)}", rx=0))
                    x += w
            shown = fmt(sum(row.values))
            tip = f"{row.label} · {total_label}：{shown}" if total_label else None
            cell.append(
                f'<text x="{x + 5:.1f}" y="{y + bar_h / 2 + 4:.1f}" fill="{MUTED}">'
                + (f"<title>{esc(tip)}</title>" if tip else "")
                + f"{esc(shown)}</text>"
            )
        else:
            for k, (s, v, raw) in enumerate(zip(series, vals, row.values, strict=True)):
                by = y + k * bar_h
                w = v * scale
                color = colors[i] if colors and len(series) == 1 else s.color
                cell.append(rect(x0, by + 1, w, bar_h - 2, color, f"{row.label} · {s.name}：{fmt(raw)}"))
                cell.append(
                    text_at(
                        x0 + w + 5,
                        by + bar_h / 2 + 4,
                        fmt(raw),
                        color=MUTED,
                        size=SIZE - 1 if len(series) > 1 else None,
                    )
                )
        if row.href:
            body.append(f'<a href="{esc(row.href)}">{"".join(cell)}</a>')
        else:
            body.append(f"<g>{''.join(cell)}</g>")
    return svg(width, top + len(rows) * row_h + 6, title, body)


def vbar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[Number]],
    *,
    title: str,
    fmt: Fmt = plain,
    axis_fmt: Fmt | None = None,
    width: int = WIDTH,
    height: int = 260,
    empty: str = "暂无数据",
) -> Markup:
    """Vertical bars, one group per category (e.g. a month), one bar per series, with a value
    axis; ``values[k][i]`` is series k's value for category i."""
    axis_fmt = axis_fmt or fmt
    body, used = swatches(series, width, 0)
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
        body.append(text_at(left - 6, y + 4, axis_fmt(_tick(t)), "end", MUTED, SIZE - 1))
    if not categories or not any(flat):
        body.append(text_at(left + plot_w / 2, (top + bottom) / 2, empty, "middle", MUTED))
    n = max(len(categories), 1)
    slot = plot_w / n
    bar_w = min(28.0, slot * 0.8 / max(len(series), 1))
    # Labels wider than their slot would run into each other: every k-th is written (the
    # last always), the bars of the others still say theirs in their tooltips.
    widest = max((text_width(c, SIZE - 1) for c in categories), default=0.0)
    every = max(1, math.ceil((widest + 6) / slot))
    for i, cat in enumerate(categories):
        cx = left + slot * i + slot / 2
        x = cx - bar_w * len(series) / 2
        for k, s in enumerate(series):
            raw = values[k][i]
            h = (bottom - top) * float(raw) / peak
            body.append(
                rect(
                    x + k * bar_w + 1,
                    bottom - h,
                    bar_w - 2,
                    h,
                    s.color,
                    f"{cat} · {s.name}：{fmt(raw)}",
                    rx=1,
                )
            )
        if (len(categories) - 1 - i) % every == 0:
            body.append(text_at(cx, bottom + 16, cat, "middle", MUTED, SIZE - 1))
    body.append(
        f'<line x1="{left:.1f}" x2="{width - 4}" y1="{bottom:.1f}" y2="{bottom:.1f}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    return svg(width, height, title, body)


def _tick(value: float) -> Number:
    return int(value) if float(value).is_integer() else Decimal(str(round(value, 2)))
