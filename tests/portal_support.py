"""Signed-in agent browsers for the portal's server tests: the app on a test database with its
own files folder, and an .xlsx list made with openpyxl from the downloaded template."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from store.db import Database
from web.app import create_app

from .page_support import PASSWORD, Browser, csrf_of


class AgentBrowser(Browser):
    def upload(  # type: ignore[no-untyped-def]
        self, page_path: str, action: str, files: dict[str, Any], fields: dict[str, str] | None = None
    ):
        """Open the page, then post its multipart form with the CSRF token the page carries."""
        token = csrf_of(self.client.get(page_path).text)
        return self.client.post(
            action, data={**(fields or {}), "_csrf_token": token}, files=files, follow_redirects=False
        )


def signed_in(db: Database, files: Path, username: str, password: str = PASSWORD) -> AgentBrowser:
    """A browser of ``username`` signed in at /login (the app's files under ``files``)."""
    client = TestClient(create_app(db, files=files, secure_cookies=False))
    client.__enter__()
    browser = AgentBrowser(client)
    r = browser.submit("/login", "/login", {"username": username, "password": password})
    assert r.status_code == 303, r.text
    browser.landed = r.headers["location"]  # type: ignore[attr-defined]
    return browser


def filled_template(template: bytes, rows: list[dict[str, Any]]) -> bytes:
    """The downloaded template with its example row replaced by ``rows`` ({header: value}),
    as a broker fills it in Excel."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template))
    ws = wb["申报清单"]
    header_row = next(r for r in range(1, 10) if any(str(c.value or "").startswith("姓名") for c in ws[r]))
    headers = {str(c.value or "").split("\n")[0].rstrip("*＊ "): c.column for c in ws[header_row]}
    ws.delete_rows(header_row + 1, ws.max_row)
    for n, row in enumerate(rows, start=header_row + 1):
        for header, value in row.items():
            ws.cell(row=n, column=headers[header], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
