"""The gauge: how much of a whole some parts fill, as one bar with the share in large type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from .numbers import Fmt, Number, percent, plain
from .svg import MUTED, TRACK, WIDTH, Series, rect, svg, swatches, text_at


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
    width: int = WIDTH,
    rest: str | None = None,
    caption: str | None = None,
) -> Markup:
    """A gauge: how much of ``total`` the parts fill, as one bar with the share in large type;
    ``rest`` names the unfilled remainder in the legend."""
    done = sum((float(p.value) for p in parts), 0.0)
    whole = float(total)
    body = [
        text_at(0, 22, percent(done, whole), size=22, weight="700"),
        text_at(width, 22, caption or f"{fmt(sum(p.value for p in parts))} / {fmt(total)}", "end", MUTED),
    ]
    y, h = 32.0, 16.0
    body.append(rect(0, y, width, h, TRACK, f"{rest}：{fmt(_minus(total, parts))}" if rest else None, rx=3))
    x = 0.0
    for p in parts:
        w = width * float(p.value) / whole if whole else 0.0
        if w > 0:
            body.append(
                rect(x, y, w, h, p.color, f"{p.label}：{fmt(p.value)}（{percent(p.value, total)}）", rx=0)
            )
            x += w
    legend = [Series(f"{p.label} {fmt(p.value)}", p.color) for p in parts]
    if rest:
        legend.append(Series(f"{rest} {fmt(_minus(total, parts))}", TRACK))
    marks, used = swatches(legend, width, y + h + 8)
    body += marks
    return svg(width, y + h + 8 + used, title, body)


def _minus(total: Number, parts: Sequence[Part]) -> Number:
    left = Decimal(str(total)) - sum((Decimal(str(p.value)) for p in parts), Decimal(0))
    return max(left, Decimal(0))
