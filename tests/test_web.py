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


def test_home_and_machine_pages_render_in_chinese(db):
    with TestClient(create_app(db)) as client:
        home = client.get("/")
        assert home.status_code == 200 and "补贴申请" in home.text
        help_page = client.get("/help/machines")
        assert "stateDiagram-v2" in help_page.text
        assert "village_verified --&gt; hr_reviewed: approve (hr)" in help_page.text
