"""Dependencies of the agent API: the database, the files root, the agent behind the token."""

from __future__ import annotations

import hashlib
from pathlib import Path

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException

from workflow.roles import Actor
from workflow.store.db import Database
from workflow.store.users import actor_for_token


def provide_db(state: State) -> Database:
    db: Database = state.db
    return db


def provide_files(state: State) -> Path:
    files: Path = state.files
    return files


def agent_actor(request: Request, state: State) -> Actor:
    """The agent a bearer token stands for. Cookies are never accepted here."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("缺少接口令牌（Authorization: Bearer …）")
    db: Database = state.db
    with db.sessions() as session:
        actor = actor_for_token(session, token.strip())
    if actor is None:
        raise NotAuthorizedException("接口令牌无效或已停用")
    return actor


def fingerprint(*parts: bytes | str) -> str:
    """What makes two requests 'the same' for Idempotency-Key: method, path and body."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()
