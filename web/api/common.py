"""Shared pieces of the agent API's controllers: problem responses in the OpenAPI document."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from .schemas import Problem

PROBLEM_SPEC = ResponseSpec(Problem, description="application/problem+json",
                            media_type="application/problem+json")


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {status: PROBLEM_SPEC for status in (400, 401, *statuses)}
