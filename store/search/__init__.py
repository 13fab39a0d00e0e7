"""Search (查找): any claim, contract or person a staff member may see, in any state, by number,
name, the ID number's last digits or the whole ID number, claimant, list or payout batch.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .finder import Resolved, SearchPage, SearchQuery, every_record, find_records, resolve_text

__all__ = ["Resolved", "SearchPage", "SearchQuery", "every_record", "find_records", "resolve_text"]
__getattr__ = exports(
    __name__,
    {
        "Resolved": "finder",
        "SearchPage": "finder",
        "SearchQuery": "finder",
        "every_record": "finder",
        "find_records": "finder",
        "resolve_text": "finder",
    },
)
