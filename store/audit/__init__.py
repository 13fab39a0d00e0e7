"""The audit log (审计日志): who did what, when, from where and with what outcome, each entry
hash-chained to the one before, sealing the history rows and payout lines it protects; the
verification that names the first broken entry, the head exported outside the database, and
the admin's search.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .events import (
        audited_finish_sign_in,
        audited_sign_in,
        denied,
        downloaded,
        exported,
        looked_up,
        unmasked,
    )
    from .log_search import AuditQuery, search
    from .recording import Context, begin_request, entry, identify, note, record
    from .verification import Break, Report, current_head, parse_head, verify

__all__ = [
    "AuditQuery",
    "Break",
    "Context",
    "Report",
    "audited_finish_sign_in",
    "audited_sign_in",
    "begin_request",
    "current_head",
    "denied",
    "downloaded",
    "entry",
    "exported",
    "identify",
    "looked_up",
    "note",
    "parse_head",
    "record",
    "search",
    "unmasked",
    "verify",
]
__getattr__ = exports(
    __name__,
    {
        "AuditQuery": "log_search",
        "Break": "verification",
        "Context": "recording",
        "Report": "verification",
        "audited_finish_sign_in": "events",
        "audited_sign_in": "events",
        "begin_request": "recording",
        "current_head": "verification",
        "denied": "events",
        "downloaded": "events",
        "entry": "recording",
        "exported": "events",
        "identify": "recording",
        "looked_up": "events",
        "note": "recording",
        "parse_head": "verification",
        "record": "recording",
        "search": "log_search",
        "unmasked": "events",
        "verify": "verification",
    },
)
