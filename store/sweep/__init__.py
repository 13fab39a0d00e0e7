"""The sweep: what the plan's clock does by itself, with its locks, chunks and run log.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .chunks import LABELS
    from .runner import run_sweep

__all__ = ["LABELS", "run_sweep"]
__getattr__ = exports(__name__, {"LABELS": "chunks", "run_sweep": "runner"})
