"""The notification centre: a user's notices, the unread count, marking them read."""

from __future__ import annotations

from litestar import Controller


class NotificationController(Controller):
    path = "/notifications"
    include_in_schema = False
