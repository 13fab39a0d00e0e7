"""Idempotency-Key: the same key and body get the first response again.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .keys import StoredResponse, run_once

__all__ = ["StoredResponse", "run_once"]
__getattr__ = exports(__name__, {"StoredResponse": "keys", "run_once": "keys"})
