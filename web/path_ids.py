"""Record ids in paths bounded like the database's integer keys, on every route at once: an id
below 1 or above 2³¹−1 names no record, so it is a 404 naming the parameter, never a driver
overflow (a 500) on a page or an API route that forgot to bound it."""

from __future__ import annotations

from collections.abc import Mapping

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from workflow.errors import NotFound

MAX_ID = 2**31 - 1  # INTEGER keys (PostgreSQL int4, what SQLite's ids never exceed here)


def bounded_path_ids(app: ASGIApp) -> ASGIApp:
    """Runs after routing (Litestar builds the middleware around each route), so the path's
    parameters are already parsed: an ``int`` one out of range is refused before the handler."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            params: Mapping[str, object] = scope.get("path_params") or {}
            for name, value in params.items():
                if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_ID:
                    raise NotFound("not_found", f"“{name}”所指的记录不存在（编号超出范围）", field=name)
        await app(scope, receive, send)

    return middleware
