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
    return {status: PROBLEM_SPEC for status in (400, 401, *statuses)}
