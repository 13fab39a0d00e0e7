"""OPTIONS answered with every method its path serves. Litestar's automatic answer lists the
methods of the first handler registered on a path, so ``/api/v1/claims`` (GET to list, POST to
file) said ``Allow: GET, OPTIONS``; the ``Allow`` header is rewritten from the route table."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def complete_allow(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "OPTIONS":
            await app(scope, receive, send)
            return
        template = scope.get("path_template")
        methods = next(
            (sorted(r.methods) for r in scope["litestar_app"].routes if template in (r.path, r.path_format)),
            None,
        )

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and methods:
                headers = MutableScopeHeaders.from_message(message)
                if "allow" in headers:
                    headers["Allow"] = ", ".join(methods)
            await send(message)

        await app(scope, receive, send_with_allow)

    return middleware
