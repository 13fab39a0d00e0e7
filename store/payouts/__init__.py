"""Payout batches: approved claims turned into payments, the bank file, the bank's return
file and finance's decisions.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .batch_pool import create_batch
    from .batches import LineOutcome, close_batch, confirm_paid
    from .returns import Reconciliation, reconcile
    from .view import bank_file, batch, decide, fail_line, pool

__all__ = [
    "LineOutcome",
    "Reconciliation",
    "bank_file",
    "batch",
    "close_batch",
    "confirm_paid",
    "create_batch",
    "decide",
    "fail_line",
    "pool",
    "reconcile",
]
__getattr__ = exports(
    __name__,
    {
        "LineOutcome": "batches",
        "Reconciliation": "returns",
        "bank_file": "view",
        "batch": "view",
        "close_batch": "batches",
        "confirm_paid": "batches",
        "create_batch": "batch_pool",
        "decide": "view",
        "fail_line": "view",
        "pool": "view",
        "reconcile": "returns",
    },
)
