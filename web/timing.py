"""Server-Timing on every response: how long the server took, measured where it runs."""

from __future__ import annotations

import time

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def server_timing(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        start = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                headers = MutableScopeHeaders.from_message(message)
                headers.add("Server-Timing", f"app;dur={took:.2f}")
            await send(message)

        await app(scope, receive, send_with_timing)

    return middleware
