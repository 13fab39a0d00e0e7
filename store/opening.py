"""How a case opens: the first state, the first deadline and the first history row the
workflow table's creation row gives (``engine.created``), made once per filing and applied to
every case it opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Select, insert, literal, null
from sqlalchemy.orm import Session

from workflow import engine
from workflow.machines import WORKFLOWS
from workflow.roles import Actor

from .db import Database
from .step_rows import MODELS, history_values
from .timerules import timecache


@dataclass(frozen=True)
class Opening:
    """How new cases of a workflow open, as the table's creation row says: their first state,
    when that wait falls due, and their first history row. One is made per filing (a single
    claim, a list of thousands, the sweep's monthly post claims) and applied to every case."""

    workflow: str
    step: engine.Transition
    due_at: datetime | None
    actor: Actor

    def case_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"state": self.step.to_state}
        if WORKFLOWS[self.workflow].deadlines:  # a payout batch has no due time
            values["due_at"] = self.due_at
        return values

    def history_rows(self, case_ids: Sequence[int]) -> list[dict[str, Any]]:
        return [history_values(self.workflow, case_id, self.step, self.actor) for case_id in case_ids]

    def history_from(self, case_ids: Select[Any]) -> Any:
        """The same rows written by the database for the cases ``case_ids`` selects (the sweep
        inserts its claims without RETURNING, and so does not hold their ids)."""
        history = MODELS[self.workflow][1].__table__
        values = history_values(self.workflow, 0, self.step, self.actor)
        fk = MODELS[self.workflow][2]
        del values[fk]
        columns = list(values)
        literals = [
            literal(values[c], DateTime())
            if c == "at"
            else null()
            if values[c] is None
            else literal(values[c])
            for c in columns
        ]
        return insert(history).from_select([fk, *columns], case_ids.add_columns(*literals))


def opening(
    db: Database,
    session: Session | Connection,
    workflow: str,
    actor: Actor,
    now: datetime,
    comment: str | None = None,
) -> Opening:
    """The one way a case is opened (``engine.created``, with the deadlines in force)."""
    step, due = engine.created(
        WORKFLOWS[workflow],
        actor,
        now,
        comment,
        calendar=timecache.calendar(db, session),
        deadlines=timecache.time_rules(db, session).deadlines[workflow],
    )
    return Opening(workflow, step, due, actor)


def record_opening(session: Session, case: Any, opened: Opening) -> None:
    """Append the first history row of one new case (ORM services)."""
    session.add(MODELS[opened.workflow][1](**opened.history_rows([case.id])[0]))
