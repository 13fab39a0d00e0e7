"""Payout batches: approved claims turned into payments, the bank file, the bank's return
file and finance's decisions.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``workflow.store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .batches import close_batch, confirm_paid, create_batch

__all__ = ["close_batch", "confirm_paid", "create_batch"]
__getattr__ = exports(
    __name__, {"close_batch": "batches", "confirm_paid": "batches", "create_batch": "batches"}
)
