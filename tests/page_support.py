"""Signed-in staff browsers for server tests: a client per user, CSRF token read off the page."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from store.db import Database
from web.app import create_app

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
PASSWORD = "password-123"  # tests.builders.county() gives every user this password


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def submit(self, page_path: str, action: str, fields: dict[str, Any]):  # type: ignore[no-untyped-def]
        """Open the page, then post its form with the CSRF token the page carries."""
        token = csrf_of(self.client.get(page_path).text)
        return self.client.post(action, data={**fields, "_csrf_token": token}, follow_redirects=False)


def sign_in(db: Database, username: str, password: str = PASSWORD) -> Browser:
    client = TestClient(create_app(db, secure_cookies=False))
    client.__enter__()
    browser = Browser(client)
    r = browser.submit("/login", "/login", {"username": username, "password": password})
    assert r.status_code == 303, r.text
    return browser
