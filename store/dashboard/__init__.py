"""The dashboard's figures, each one aggregate query scoped to the user's villages.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .deadlines import ENDING_WITHIN_DAYS
    from .employment import LABOUR_CAPACITIES
    from .figures import Dashboard
    from .scope import APPROVED_STATES, PAID_STATE
    from .targets import GRADUATE_WAIT_MONTHS
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
        "APPROVED_STATES": "scope",
        "Dashboard": "figures",
        "ENDING_WITHIN_DAYS": "deadlines",
        "GRADUATE_WAIT_MONTHS": "targets",
        "LABOUR_CAPACITIES": "employment",
        "PAID_STATE": "scope",
        "dashboard_page": "view",
    },
)
