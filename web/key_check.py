"""The master key checked against the data: at start, or before the first request when the
database could not be reached at start."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response

from store.db import Database, database_unavailable
from store.keys import ensure_keys
from workflow.pii import KeyProblem

from .problems import problem

log = logging.getLogger("fuzhi")


def keys_at_start(db: Database) -> bool:
    """The master key checked against the data before the first request (a wrong one stops the
    server). A database that cannot be reached at start (restarting, a network cut) is not a
    reason to stay down: the key is then checked before the first request that reaches it."""
    try:
        ensure_keys(db)
    except KeyProblem:
        raise
    except Exception as error:
        if not database_unavailable(error):
            raise
        log.error(
            "启动时无法连接数据库（%s）：主密钥将在数据库恢复后、办理第一个请求前核对", type(error).__name__
        )
        return False
    return True


def keys_late(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Before any request, while the key has not been checked: check it (a database still
    away is a retryable 503; a wrong key refuses every request with 503 ``key.mismatch``)."""
    state = request.app.state
    if state.keys_checked:
        return None
    try:
        ensure_keys(state.db)
    except KeyProblem as wrong:
        return problem(503, wrong.code, wrong.message)
    state.keys_checked = True
    return None
