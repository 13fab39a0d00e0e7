"""Excel exports of the staff's lists: the inbox, contracts, payouts, a batch, the dashboard,
the register of organisations and the search's results, with the page's scope and filters
(every page), ID and bank numbers masked, no cell readable as a formula; ``download`` makes
one of any rows and columns.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .common import EXPORT_CAP, Column, Download, Sheet, capped, download, filters_note, scope_note
    from .dashboard_sheets import dashboard_export
    from .lists import contracts_export, inbox_export
    from .org_sheets import organisations_export
    from .payout_sheets import batch_export, payouts_export
    from .search_sheets import search_export

__all__ = [
    "EXPORT_CAP",
    "Column",
    "Download",
    "Sheet",
    "batch_export",
    "capped",
    "contracts_export",
    "dashboard_export",
    "download",
    "filters_note",
    "inbox_export",
    "organisations_export",
    "payouts_export",
    "scope_note",
    "search_export",
]
__getattr__ = exports(
    __name__,
    {
        "Column": "common",
        "Download": "common",
        "EXPORT_CAP": "common",
        "Sheet": "common",
        "batch_export": "payout_sheets",
        "capped": "common",
        "contracts_export": "lists",
        "dashboard_export": "dashboard_sheets",
        "download": "common",
        "filters_note": "common",
        "inbox_export": "lists",
        "organisations_export": "org_sheets",
        "payouts_export": "payout_sheets",
        "scope_note": "common",
        "search_export": "search_sheets",
    },
)
