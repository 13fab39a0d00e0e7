"""Shared pieces of the agent API's controllers: problem responses in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from workflow.errors import ValidationFailed

from .schemas import Problem

# A record id in a path: bounded like the database's integer keys, so a huge number is a 400
# and not a driver overflow (a 500).
PathId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
PROBLEM_SPEC = ResponseSpec(
    Problem, description="application/problem+json", media_type="application/problem+json"
)


def form_fields(data: dict[str, Any], allowed: set[str]) -> None:
    """A multipart form carries only the fields its document names (as a JSON body does)."""
    for name in sorted(set(data) - allowed):
        raise ValidationFailed("validation.unknown_field", f"不认识的字段“{name}”", field=name)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problems an operation may answer with: every one may meet a malformed request (400), a
    missing or revoked token (401) and a database gone for a moment (503, with Retry-After)."""
    return {status: PROBLEM_SPEC for status in sorted({400, 401, 503, *statuses})}


def posted_problems(*statuses: int) -> dict[int, ResponseSpec]:
    """``problems`` of a POST: its body may also be too large (413) or of another type (415)."""
    return problems(413, 415, *statuses)
