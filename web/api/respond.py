"""Responses for POSTs: domain errors become problems, and Idempotency-Key replays the first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response

from store.db import Database
from store.idempotency import StoredResponse, run_once
from workflow.errors import DomainError
from workflow.roles import Actor

from ..problems import PROBLEM, domain_problem
from .deps import fingerprint

JSON = "application/json"


def posted(
    request: Request[Any, Any, Any],
    db: Database,
    actor: Actor,
    body: bytes,
    produce: Callable[[], tuple[int, Any]],
) -> Response[Any]:
    """Run ``produce`` (status, payload) once per Idempotency-Key and answer with its result."""
    key = request.headers.get("idempotency-key")
    if key is None:
        status, payload = produce()
        return Response(payload, status_code=status, media_type=JSON)

    def run() -> StoredResponse:
        try:
            status, payload = produce()
            media = JSON
        except DomainError as exc:  # a refusal is an answer too: the retry gets the same one
            problem = domain_problem(exc)
            status, payload, media = exc.status, problem.content, PROBLEM
        return StoredResponse(status, msgspec.json.encode(payload).decode(), media)

    assert actor.org_id is not None
    # Keyed like the ID numbers' hash: a body may carry a full resident ID, and a plain SHA-256
    # of a body whose other fields are known could be reversed by trying every ID number.
    stored = run_once(
        db, actor.org_id, key, db.vault.digest(fingerprint(request.method, request.url.path, body)), run
    )
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else None
    return Response(
        stored.body.encode(), status_code=stored.status, media_type=stored.content_type, headers=headers
    )


def encode(obj: Any) -> bytes:
    return msgspec.json.encode(obj)
