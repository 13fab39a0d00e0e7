"""The API browser works with no internet: /schema (Swagger UI) and /schema/scalar name no
outside address, and every script, style and icon they name is served by the app itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from store.db import Database
from web.app import create_app

from .conftest import TEST_SECRET

OUTSIDE = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)
NAMED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture(scope="module")
def client():
    app = create_app(Database.connect("sqlite://", TEST_SECRET), files=Path("/nonexistent"))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("page", ["/schema", "/schema/scalar"])
def test_the_api_browser_names_no_outside_address_and_its_files_are_served(client, page):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert OUTSIDE.findall(html) == [], page  # no CDN, no web fonts, no outside icon
    named = NAMED.findall(html)
    scripts = [n for n in named if n.endswith(".js")]
    assert scripts and all(n.startswith("/static/schema/") for n in named), named
    for path in named:
        asset = client.get(path)
        assert asset.status_code == 200, path
        assert len(asset.content) > 100, path
        kind = TYPES[Path(path).suffix]
        assert kind in asset.headers["content-type"], (path, asset.headers["content-type"])
        if path.endswith(".js") and "standalone" not in path:
            assert b"SwaggerUI" in asset.content  # the real bundle, not a stand-in
    assert "/schema/openapi.json" in html or '"openapi"' in html  # the document it shows


def test_scalar_is_told_to_load_no_fonts_and_send_no_telemetry(client):
    html = client.get("/schema/scalar").text
    assert '"withDefaultFonts":false' in html and '"telemetry":false' in html
    script = client.get("/static/schema/scalar/standalone.js")
    assert script.status_code == 200 and b"withDefaultFonts" in script.content


def test_the_vendored_files_are_the_versions_the_readme_and_the_plugins_name():
    from web.schema_ui import SCALAR_VERSION, SWAGGER_VERSION

    root = Path(__file__).resolve().parents[1] / "web" / "static" / "schema"
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"| {SWAGGER_VERSION} |" in readme and f"| {SCALAR_VERSION} |" in readme
    assert f'"{SWAGGER_VERSION}"'.encode() in (root / "swagger-ui" / "swagger-ui-bundle.js").read_bytes()
    assert SCALAR_VERSION.encode() in (root / "scalar" / "standalone.js").read_bytes()
    assert "Apache License" in (root / "swagger-ui" / "LICENSE").read_text(encoding="utf-8")
