"""Steps that write more than the state, and the service that takes each.

``transitions.transition`` is the one entry for a step on a case. A few steps carry more than
the state: a renewal files its successor, a termination its last day, insurance its policy
number, a post claim's verification the days on the post. The service that owns such a step
registers it here when its module is loaded, so the step runner imports no service above it.

``OWNERS`` names every such step and the module that registers it: a step named there is
refused until that module is loaded, never taken as a bare change of state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflow.roles import Actor

from .db import Database

OWNERS: dict[tuple[str, str], str] = {
    ("contract", "renew"): "store.contracts.lifecycle",
    ("contract", "terminate"): "store.contracts.lifecycle",
    ("contract", "record_insurance"): "store.contracts.lifecycle",
    ("claim", "verify"): "store.claims.filing",
    ("claim", "approve"): "store.claims.filing",
}


@dataclass(frozen=True)
class StepCall:
    """What ``transition`` was asked, handed over as it came."""

    db: Database
    case_id: int
    trigger: str
    actor: Actor
    comment: str | None
    expected_version: int | None
    attendance_days: object = None


@dataclass(frozen=True)
class StepService:
    take: Callable[[StepCall], Any]
    # None: the service takes the step on every case. Otherwise the case's row is read first
    # and handed over only if this holds of it (post claims, not every claim).
    applies_to: Callable[[Any], bool] | None = None


_services: dict[tuple[str, str], StepService] = {}


def register(
    workflow: str,
    trigger: str,
    take: Callable[[StepCall], Any],
    applies_to: Callable[[Any], bool] | None = None,
) -> None:
    key = (workflow, trigger)
    if key not in OWNERS:
        raise ValueError(f"{workflow}.{trigger} is not a step with a service: add it to OWNERS")
    _services[key] = StepService(take, applies_to)


def service_for(workflow: str, trigger: str) -> StepService | None:
    """The service of a step, or None for a step that changes only the state."""
    key = (workflow, trigger)
    if key not in OWNERS:
        return None
    service = _services.get(key)
    if service is None:
        raise RuntimeError(f"{workflow}.{trigger} is taken by {OWNERS[key]}, which is not loaded")
    return service


def registered() -> dict[tuple[str, str], StepService]:
    """The services registered so far (the layering test compares them with ``OWNERS``)."""
    return dict(_services)
