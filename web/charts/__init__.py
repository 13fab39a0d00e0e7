"""Small server-side SVG charts: plain markup with <title> tooltips, no script, no external files.

Every chart is a self-contained ``<svg>`` string (well-formed XML, all text escaped) that the
page puts inline. Labels are given by the caller, already in the page's language. Geometry is
computed in floats; the numbers shown are formatted by the caller's ``fmt`` from the exact
values (Decimal money stays Decimal).

The charts are several things, one module each: ``bars`` (horizontal and vertical bar charts),
``gauge`` (the progress bar), ``svg`` (the pieces they are drawn with) and ``numbers`` (how
numbers are written). This package is their face: the names the pages use.
"""

from __future__ import annotations

from .bars import Row, hbar_chart, vbar_chart
from .gauge import Part, progress_bar
from .numbers import Fmt, Number, count, money, percent, plain
from .svg import WIDTH, Series, clip, nice_ceiling, text_width

__all__ = [
    "WIDTH",
    "Fmt",
    "Number",
    "Part",
    "Row",
    "Series",
    "clip",
    "count",
    "hbar_chart",
    "money",
    "nice_ceiling",
    "percent",
    "plain",
    "progress_bar",
    "text_width",
    "vbar_chart",
]
