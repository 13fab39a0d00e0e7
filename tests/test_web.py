"""The app answers /health and its pages on the configured database."""

from __future__ import annotations

from litestar.testing import TestClient

from web.app import create_app


def test_health_reports_the_database(db):
    with TestClient(create_app(db)) as client:
        r = client.get("/health")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "ok"
        assert body["database"] == db.dialect


def test_home_leads_to_the_inbox_and_the_machine_page_renders(db):
    with TestClient(create_app(db)) as client:
        home = client.get("/", follow_redirects=False)
        assert home.status_code in (302, 307) and home.headers["location"] == "/inbox"
        help_page = client.get("/help/machines")
        assert "stateDiagram-v2" in help_page.text
        assert "village_verified --&gt; hr_reviewed: approve (hr)" in help_page.text
