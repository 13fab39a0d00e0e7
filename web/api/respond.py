"""Responses for POSTs: domain errors become problems, and Idempotency-Key replays the first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response

from store.db import Database
from store.idempotency import KeyInProgress, Lease, StoredResponse, run_once
from workflow.errors import DomainError
from workflow.roles import Actor

from ..problems import PROBLEM, domain_problem, problem
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
    return posted_with_effect(request, db, actor, body, lambda _lease: produce())


def posted_with_effect(
    request: Request[Any, Any, Any],
    db: Database,
    actor: Actor,
    body: bytes,
    produce: Callable[[Lease | None], tuple[int, Any]],
    recover: Callable[[dict[str, Any]], tuple[int, Any]] | None = None,
) -> Response[Any]:
    """``posted`` for a service that notes its effect in the key (``Lease.note_effect``, given to
    ``produce``) in its own transaction: a retry after a crash answers it with ``recover``."""
    key = request.headers.get("idempotency-key")
    if key is None:
        status, payload = produce(None)
        return Response(payload, status_code=status, media_type=JSON)

    def run(lease: Lease) -> StoredResponse:
        try:
            status, payload = produce(lease)
            media = JSON
        except DomainError as exc:  # a refusal is an answer too: the retry gets the same one
            if exc.code == "idempotency.lease_lost" or exc.status >= 500:
                raise  # not an answer to keep: the same key may be tried again (Busy: 503)
            problem = domain_problem(exc)
            status, payload, media = exc.status, problem.content, PROBLEM
        return StoredResponse(status, msgspec.json.encode(payload).decode(), media)

    def answer(note: dict[str, Any]) -> StoredResponse:
        status, payload = recover(note)  # type: ignore[misc]
        return StoredResponse(status, msgspec.json.encode(payload).decode(), JSON)

    assert actor.org_id is not None
    # Keyed like the ID numbers' hash: a body may carry a full resident ID, and a plain SHA-256
    # of a body whose other fields are known could be reversed by trying every ID number.
    hashed = db.vault.digest(fingerprint(request.method, request.url.path, body))
    try:
        stored = run_once(db, actor.org_id, key, hashed, run, answer if recover else None)
    except KeyInProgress as exc:
        return problem(exc.status, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else None
    return Response(
        stored.body.encode(), status_code=stored.status, media_type=stored.content_type, headers=headers
    )


def noting(lease: Lease | None, name: str) -> Callable[[Any, int], None] | None:
    """For a service's ``committed``: its transaction notes the id it made in the key, if any."""
    if lease is None:
        return None
    return lambda session, made: lease.note_effect(session, {name: made})


def encode(obj: Any) -> bytes:
    return msgspec.json.encode(obj)
