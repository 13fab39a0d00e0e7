"""Payout batches: approved claims turned into payments (previewed first), the bank file, the
bank's return file applied, finance's decisions and the look-up of a payment.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .batch_pool import create_batch
    from .batches import LineOutcome, close_batch, confirm_paid
    from .lookup import Lookup, find_payments
    from .preview import BatchPreview, preview_batch
    from .return_import import ReturnImport, import_return
    from .view import bank_file, batch, decide, fail_line, pool

__all__ = [
    "BatchPreview",
    "LineOutcome",
    "Lookup",
    "ReturnImport",
    "bank_file",
    "batch",
    "close_batch",
    "confirm_paid",
    "create_batch",
    "decide",
    "fail_line",
    "find_payments",
    "import_return",
    "pool",
    "preview_batch",
]
__getattr__ = exports(
    __name__,
    {
        "BatchPreview": "preview",
        "LineOutcome": "batches",
        "Lookup": "lookup",
        "ReturnImport": "return_import",
        "bank_file": "view",
        "batch": "view",
        "close_batch": "batches",
        "confirm_paid": "batches",
        "create_batch": "batch_pool",
        "decide": "view",
        "fail_line": "view",
        "find_payments": "lookup",
        "import_return": "return_import",
        "pool": "view",
        "preview_batch": "preview",
    },
)
