"""A transition is one service call: version-check the row, fire the shared machine,
append the history row, commit. Concurrent attempts: one wins, the rest get ``Conflict``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import engine
from ..errors import Conflict, NotFound
from ..machines import WORKFLOWS
from ..roles import Actor
from ..states import CLAIM_DEAD_STATES
from .db import Database
from .models import Claim, ClaimHistory, Contract, ContractHistory

MODELS: dict[str, tuple[type[Any], type[Any], str]] = {
    "claim": (Claim, ClaimHistory, "claim_id"),
    "contract": (Contract, ContractHistory, "contract_id"),
}


def record(session: Session, workflow: str, case: Any, step: engine.Transition,
           actor: Actor) -> None:
    """Append the immutable history row for an accepted step."""
    _, history, fk = MODELS[workflow]
    session.add(history(**{fk: case.id}, trigger=step.trigger, from_state=step.from_state,
                        to_state=step.to_state, actor_id=actor.user_id,
                        actor_name=actor.name or str(actor.user_id), role=step.role.value,
                        at=step.at, comment=step.comment))


def apply(session: Session, db: Database, workflow: str, case: Any, trigger: str,
          actor: Actor, comment: str | None = None) -> engine.Transition:
    """Fire and record inside the caller's transaction (for services that do more in the same one)."""
    now = db.clock.now()
    step = engine.fire(WORKFLOWS[workflow], case, trigger, actor, now, comment,
                       calendar=db.calendar(session))
    if workflow == "claim" and case.state in CLAIM_DEAD_STATES:
        # A dead claim no longer holds its place against the one-per-person rules.
        case.dedupe_key = None
        case.exclusion_key = None
    case.updated_at = now
    case.overdue = False
    record(session, workflow, case, step, actor)
    return step


@contextmanager
def one_step(db: Database, model: type[Any], case_id: int,
             expected_version: int | None) -> Iterator[tuple[Session, Any]]:
    """The transaction of one step on one case: a lost race becomes ``Conflict``."""
    try:
        with db.transaction() as session:
            case = session.get(model, case_id)
            if case is None:
                raise NotFound("not_found", "未找到该案件", id=case_id)
            if expected_version is not None and case.version != expected_version:
                raise _conflict(case.version)
            yield session, case
            session.flush()
    except StaleDataError:
        raise _conflict(None) from None
    except OperationalError as exc:  # SQLite: another writer held the lock past the timeout
        if "locked" in str(exc):
            raise _conflict(None) from None
        raise


def transition(db: Database, workflow: str, case_id: int, trigger: str, actor: Actor, *,
               comment: str | None = None, expected_version: int | None = None) -> Any:
    """Take one step on one case in its own transaction; returns the updated case."""
    with one_step(db, MODELS[workflow][0], case_id, expected_version) as (session, case):
        apply(session, db, workflow, case, trigger, actor, comment)
    return case


def _conflict(version: int | None) -> Conflict:
    return Conflict("conflict.stale", "该案件已被其他人修改，请刷新后重试", current_version=version)
