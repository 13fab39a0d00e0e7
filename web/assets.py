"""Static files and compressed answers for a phone on a slow line: each static file's URL carries
a hash of its content (``static_url``), so the browser keeps it for a year and fetches it again
only when it changed; pages, styles and scripts leave compressed (brotli, else gzip), pictures,
PDFs and workbooks as they are (already compressed)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.compression import CompressionMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
VERSIONED = "public, max-age=31536000, immutable"  # /static/x.css?v=<hash>: never changes
PLAIN = "public, max-age=3600"  # a static URL without its hash: an hour at most
# Already compressed: compressing them again costs the server and saves nothing.
COMPRESSED = ("image/", "application/pdf", "application/zip", "application/vnd.openxmlformats", "font/woff2")


@cache
def static_url(name: str) -> str:
    """``/static/<name>?v=<first 10 hex of its SHA-256>`` (read once per process)."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


class StaticCaching:
    """Cache-Control on the static files: a year for a hashed URL, an hour for a bare one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                MutableScopeHeaders.from_message(message)["cache-control"] = VERSIONED if versioned else PLAIN
            await send(message)

        await self.app(scope, receive, cached)


class TextCompression(CompressionMiddleware):
    """Litestar's compression, except for answers whose content is compressed already."""

    def create_compression_send_wrapper(
        self,
        send: Send,
        compression_encoding: Literal["br", "gzip"] | str,
        scope: Scope,
    ) -> Send:
        compress = super().create_compression_send_wrapper(send, compression_encoding, scope)
        passing: dict[str, Any] = {"plain": False}

        async def wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                media = MutableScopeHeaders.from_message(message).get("content-type") or ""
                passing["plain"] = media.startswith(COMPRESSED)
            await (send if passing["plain"] else compress)(message)

        return wrapper


def compression() -> CompressionConfig:
    """Brotli where the browser takes it (every current one over HTTPS and on localhost), gzip
    otherwise; answers under 500 bytes are left alone."""
    return CompressionConfig(
        backend="brotli",
        brotli_quality=5,
        brotli_gzip_fallback=True,
        gzip_compress_level=6,
        minimum_size=500,
        middleware_class=TextCompression,
    )
