"""Sent twice, done once: the API's Idempotency-Key (the same key and body get the first
response again) and the staff forms' one-time tokens (the same form gets its first outcome).

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .forms import FirstOutcome, keep_form_outcome, release_form_token, take_form_token
    from .keys import KeyInProgress, Lease, StoredResponse, run_once

__all__ = [
    "FirstOutcome",
    "KeyInProgress",
    "Lease",
    "StoredResponse",
    "keep_form_outcome",
    "release_form_token",
    "run_once",
    "take_form_token",
]
__getattr__ = exports(
    __name__,
    {
        "FirstOutcome": "forms",
        "KeyInProgress": "keys",
        "Lease": "keys",
        "StoredResponse": "keys",
        "keep_form_outcome": "forms",
        "release_form_token": "forms",
        "run_once": "keys",
        "take_form_token": "forms",
    },
)
