"""Security headers on every answer: CSP, frame denial, no-sniff, referrer policy, HSTS, no-store."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import Message, Scope

# No inline script anywhere (templates' scripts live in web/static/*.js); inline style attributes
# stay allowed: the templates and the SVG charts (web/charts/svg.py) set widths with style="…".
# blob: pictures: evidence.js decodes a photo through one where createImageBitmap is missing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The API browser (/schema: Litestar's Swagger UI and Scalar pages, their files vendored in
# web/static/schema) starts itself with an inline script Litestar writes; Scalar shows a tried
# answer's picture or file through a blob: URL. Still no eval: Scalar's bundled Zod probes for it
# once and validates without.
SCHEMA_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts of the domain are not ours
# Nothing is kept by the browser or a proxy unless its handler says otherwise: the pages, exports,
# PDFs, evidence files and the bank file hold personal data. Those that say otherwise: the static
# files (web/assets.py, public, a year when hashed) and evidence thumbnails (web/pages/evidence.py,
# "private": never a shared proxy, only the browser that was allowed to fetch it — the server
# checked that user's access; kept for a case page on a slow line, at the cost of a shared
# office browser keeping 240px pictures on disk). The full evidence file is no-store.
NO_STORE = "no-store"
FIXED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


async def security_headers(message: Message, scope: Scope) -> None:
    """Litestar's ``before_send`` hook: it sees every answer, a 404 and a refused host included.
    HSTS when the site is served over HTTPS: its cookies are Secure (``secure_cookies``, TLS
    ending at a proxy) or this request came in over HTTPS."""
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    path = scope.get("path", "")
    # A new list: a middleware may hold the old one to read the handler's own headers afterwards
    # (web/pages/once.py keeps a form's outcome, and no-store there means "a secret shown once").
    message["headers"] = list(message.get("headers", []))
    headers = MutableScopeHeaders.from_message(message)
    headers["content-security-policy"] = (
        SCHEMA_CSP if path == "/schema" or path.startswith("/schema/") else CSP
    )
    for name, value in FIXED.items():
        headers[name] = value
    if scope.get("scheme") == "https" or getattr(scope["litestar_app"].state, "secure_cookies", False):
        headers["strict-transport-security"] = HSTS
    if "cache-control" not in headers:
        headers["cache-control"] = NO_STORE
