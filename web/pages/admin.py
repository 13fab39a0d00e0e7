"""The admin's settings pages: deadlines, renewal-reminder days, holidays and make-up days."""

from __future__ import annotations

from litestar import Controller


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False
