"""Notices to users: who receives what, the notification centre, the e-mail outbox.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .notifications import unread_for
    from .view import notices, read_all, read_one

__all__ = ["notices", "read_all", "read_one", "unread_for"]
__getattr__ = exports(
    __name__, {"notices": "view", "read_all": "view", "read_one": "view", "unread_for": "notifications"}
)
