"""Notices to users: who receives what, the notification centre, the e-mail outbox.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``workflow.store.faces``)."""

from __future__ import annotations

__all__: list[str] = []
