"""The dashboard's figures, each one aggregate query scoped to the user's villages.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .figures import (
        APPROVED_STATES,
        ENDING_WITHIN_DAYS,
        GRADUATE_WAIT_MONTHS,
        LABOUR_CAPACITIES,
        PAID_STATE,
        Dashboard,
    )
    from .view import dashboard_page

__all__ = [
    "APPROVED_STATES",
    "ENDING_WITHIN_DAYS",
    "GRADUATE_WAIT_MONTHS",
    "LABOUR_CAPACITIES",
    "PAID_STATE",
    "Dashboard",
    "dashboard_page",
]
__getattr__ = exports(
    __name__,
    {
        "APPROVED_STATES": "figures",
        "Dashboard": "figures",
        "ENDING_WITHIN_DAYS": "figures",
        "GRADUATE_WAIT_MONTHS": "figures",
        "LABOUR_CAPACITIES": "figures",
        "PAID_STATE": "figures",
        "dashboard_page": "view",
    },
)
