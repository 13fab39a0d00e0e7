"""Dependencies of the agent API: the agent behind the token (the database and the files root
come from ``web.deps``), and what every request is checked for first (its body's media type,
NUL characters)."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException

from store import audit
from store.access import agent_for_token
from store.db import Database
from workflow.roles import Actor


def agent_actor(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Actor:
    """The agent a bearer token stands for. Cookies are never accepted here."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("缺少接口令牌（Authorization: Bearer …）")
    actor = agent_for_token(db, token.strip())
    if actor is None:
        raise NotAuthorizedException("接口令牌无效或已停用")
    audit.identify(actor)  # who the audit log names for this request
    return actor


def fingerprint(*parts: bytes | str) -> str:
    """What makes two requests 'the same' for Idempotency-Key: method, path and body."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def before_api_request(request: Request[Any, Any, Any]) -> None:
    """What every API request is checked for before its body is read: the body's media type,
    then NUL characters."""
    refuse_unsupported_media(request)
    await refuse_nul_characters(request)


def refuse_unsupported_media(request: Request[Any, Any, Any]) -> None:
    """A body of another type than the operation reads (JSON or a multipart form) is a 415, as the
    document says, and not a 400 from a parser that tried it."""
    if request.method != "POST":
        return
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return
    expected = getattr(data.kwarg_definition, "media_type", None) or RequestEncodingType.JSON
    sent = request.content_type[0]
    if sent and sent != str(expected.value):
        raise HTTPException(
            status_code=415, detail=f"请求内容类型须为 {expected.value}（收到 {sent}）", extra={"sent": sent}
        )


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """A NUL character (U+0000) in a query or a JSON body is refused with a 400: PostgreSQL cannot
    store or even compare text holding one, so it would otherwise end in a 500 there."""
    query = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        raise ValidationException(
            "请求参数不能包含空字符（U+0000）",
            extra=[{"key": "query", "message": "不能包含空字符（U+0000）"}],
        )
    if request.method != "POST" or request.content_type[0].startswith("multipart/"):
        return  # a multipart body carries files: their text fields are checked where read
    body = await request.body()
    if b"\\u0000" not in body:  # the fast path: no escaped NUL anywhere in the text
        return
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # not JSON: the handler refuses it as such
    if _has_nul(decoded):
        raise ValidationException(
            "请求内容不能包含空字符（U+0000）", extra=[{"key": "body", "message": "不能包含空字符（U+0000）"}]
        )
