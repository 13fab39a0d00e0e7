"""Policy years as the bureau's data: the parameter sets, one row per edit, and their log.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .versions import (
        change_rows,
        copy_year,
        create_year,
        set_figures,
        unconfirmed,
        view,
        years,
        years_missing,
    )

__all__ = [
    "change_rows",
    "copy_year",
    "create_year",
    "set_figures",
    "unconfirmed",
    "view",
    "years",
    "years_missing",
]
__getattr__ = exports(
    __name__,
    {
        "change_rows": "versions",
        "copy_year": "versions",
        "create_year": "versions",
        "set_figures": "versions",
        "unconfirmed": "versions",
        "view": "versions",
        "years": "versions",
        "years_missing": "versions",
    },
)
