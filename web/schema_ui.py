"""The API browser at /schema (Swagger UI) and /schema/scalar (Scalar), served with no internet:
their scripts, styles and icon come from this app (web/static/schema, vendored from npm), and
Scalar is told to load no web fonts, send no telemetry and offer no hosted agent."""

from __future__ import annotations

from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

ASSETS = "/static/schema"
SWAGGER_VERSION = "5.18.2"  # npm swagger-ui-dist (web/static/schema/README.md)
SCALAR_VERSION = "1.72.1"  # npm @scalar/api-reference
FAVICON = f"<link rel='icon' type='image/png' href='{ASSETS}/swagger-ui/favicon-32x32.png'>"

RENDER_PLUGINS = [
    SwaggerRenderPlugin(
        version=SWAGGER_VERSION,
        js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui/swagger-ui-standalone-preset.js",
        favicon=FAVICON,
        path="/",
    ),
    ScalarRenderPlugin(
        version=SCALAR_VERSION,
        js_url=f"{ASSETS}/scalar/standalone.js",
        css_url=f"{ASSETS}/scalar/scalar.css",
        favicon=FAVICON,
        path="/scalar",
        options={"withDefaultFonts": False, "telemetry": False, "agent": {"disabled": True}},
    ),
]
