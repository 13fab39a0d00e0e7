"""The dashboard page's view models: what ``web.pages.dashboard`` hands its template, in
``view`` (the tiles and tables), ``pictures`` (which chart draws which figure) and ``words``
(the page's language)."""

from __future__ import annotations

from .view import Tile, build_view

__all__ = ["Tile", "build_view"]
