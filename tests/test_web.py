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


def test_help_page_draws_both_machines_from_the_tables(db):
    import shutil
    import xml.etree.ElementTree as ET

    from web.diagrams import svg

    if shutil.which("dot") is None:  # make sysdeps installs Graphviz
        import pytest

        pytest.skip("Graphviz is not installed")
    for name in ("claim", "contract"):
        picture = svg(name)
        root = ET.fromstring(picture)
        text = "".join(root.itertext())
        assert "村级已核实" in text and "核实通过" in text
    with TestClient(create_app(db)) as client:
        page = client.get("/help/machines").text
        assert page.count("<svg") >= 2
