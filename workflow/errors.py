"""Domain errors: a stable code for programs and a Chinese message for people."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal the domain makes; the web layer maps it to HTTP once."""

    code: str = "domain.error"
    status: int = 400

    def __init__(self, code: str | None = None, message: str = "", **details: Any) -> None:
        self.code = code or self.code
        self.message = message
        self.details = details
        super().__init__(f"{self.code}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (a refusal made in a worker process comes back as itself)."""
        return (_rebuilt, (type(self), self.args), self.__dict__)


def _rebuilt(cls: type[DomainError], args: tuple[Any, ...]) -> DomainError:
    exc = cls.__new__(cls)
    exc.args = args
    return exc


class TransitionRefused(DomainError):
    """A trigger that this actor may not fire on this case now."""

    status = 403


class InvalidTransition(TransitionRefused):
    status = 409


class Conflict(DomainError):
    """Someone else changed the case first; the loser must reload."""

    code = "conflict.stale"
    status = 409


class RuleViolation(DomainError):
    """A rule of the plan that a claim breaks; ``code`` names the rule."""

    status = 422


class ValidationFailed(DomainError):
    """Input that is malformed; ``details['field']`` names the field."""

    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404
