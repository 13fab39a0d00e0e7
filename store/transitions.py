"""A transition is one service call: version-check the row, fire the shared machine,
append the history row, commit. Concurrent attempts: one wins, the rest get ``Conflict``.

``transition`` is the hot path (every click in the inbox, every row of the sweep), so it
reads and writes with SQLAlchemy Core rather than the ORM unit of work; services that do
more in the same transaction (resubmit with new facts, renew) use ``apply`` on ORM rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    DateTime,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import ReturningInsert

from workflow import engine
from workflow.errors import Conflict, InvalidTransition, NotFound, TransitionRefused
from workflow.guards import PayoutLineRef
from workflow.machines import WORKFLOWS
from workflow.roles import Actor
from workflow.states import CLAIM_DEAD_STATES

from .db import Database
from .guard_inputs import supply_guard_inputs
from .models import Claim, ClaimHistory, Contract, ContractHistory
from .payouts.models import PayoutBatch, PayoutHistory
from .step_services import StepCall, service_for
from .timerules import timecache

MODELS: dict[str, tuple[type[Any], type[Any], str]] = {
    "claim": (Claim, ClaimHistory, "claim_id"),
    "contract": (Contract, ContractHistory, "contract_id"),
    "payout": (PayoutBatch, PayoutHistory, "batch_id"),
}
# What the engine and the guards read of a case, and what a step may change.
_COMMON = ("id", "state", "version", "village_id", "submitted_by", "verified_by", "reviewed_by", "due_at")
CASE_FIELDS = {
    "claim": (*_COMMON, "claimant_org_id", "paid_by", "subsidy_type", "policy_year", "params_version_id"),
    "contract": (*_COMMON, "start_date", "end_date", "insurance_policy_no", "successor_id"),
}
# Contract steps that write more than the state (a form of their own): their services take them.
CONTRACT_FORM_STEPS = WORKFLOWS["contract"].form_triggers
WRITABLE = ("state", "verified_by", "reviewed_by", "paid_by", "due_at")


def history_values(workflow: str, case_id: int, step: engine.Transition, actor: Actor) -> dict[str, Any]:
    return {
        MODELS[workflow][2]: case_id,
        "trigger": step.trigger,
        "from_state": step.from_state,
        "to_state": step.to_state,
        "actor_id": actor.user_id,
        "actor_name": actor.name or str(actor.user_id),
        "role": step.role.value,
        "at": step.at,
        "comment": step.comment,
    }


def record(session: Session, workflow: str, case: Any, step: engine.Transition, actor: Actor) -> None:
    """Append the immutable history row for an accepted step (ORM services)."""
    session.add(MODELS[workflow][1](**history_values(workflow, case.id, step, actor)))


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


def _fire(
    db: Database,
    session: Session | Connection,
    workflow: str,
    case: Any,
    trigger: str,
    actor: Actor,
    comment: str | None,
    payout_line: PayoutLineRef | None = None,
) -> engine.Transition:
    row = WORKFLOWS[workflow].step_for(trigger, str(case.state))
    if row is not None and row.guards:
        supply_guard_inputs(session, workflow, case, row.guards)
    step = engine.fire(
        WORKFLOWS[workflow],
        case,
        trigger,
        actor,
        db.clock.now(),
        comment,
        calendar=timecache.calendar(db, session),
        deadlines=timecache.time_rules(db, session).deadlines[workflow],
        payout_line=payout_line,
    )
    if workflow == "claim" and case.state in CLAIM_DEAD_STATES:
        # A dead claim no longer holds its place against the one-per-person rules.
        case.dedupe_key = None
        case.exclusion_key = None
    case.updated_at = step.at
    case.overdue = False
    return step


def apply(
    session: Session,
    db: Database,
    workflow: str,
    case: Any,
    trigger: str,
    actor: Actor,
    comment: str | None = None,
    payout_line: PayoutLineRef | None = None,
) -> engine.Transition:
    """Fire and record on an ORM row inside the caller's transaction. ``payout_line`` is
    given only by the payout service, for the line it has taken in this transaction."""
    step = _fire(db, session, workflow, case, trigger, actor, comment, payout_line)
    record(session, workflow, case, step, actor)
    return step


@contextmanager
def conflicts_mapped() -> Iterator[None]:
    """A lost race, however the database reports it, becomes ``Conflict``."""
    try:
        yield
    except StaleDataError:
        raise _conflict(None) from None
    except OperationalError as exc:  # SQLite: another writer held the lock past the timeout
        if "locked" in str(exc):
            raise _conflict(None) from None
        raise


Case = TypeVar("Case", Claim, Contract)


@contextmanager
def one_step(
    db: Database, model: type[Case], case_id: int, expected_version: int | None
) -> Iterator[tuple[Session, Case]]:
    """The transaction of one step on one ORM row."""
    with conflicts_mapped(), db.transaction() as session:
        case = session.get(model, case_id)
        if case is None:
            raise NotFound("not_found", "未找到该案件", id=case_id)
        if expected_version is not None and case.version != expected_version:
            raise _conflict(case.version)
        yield session, case
        session.flush()


def _statements(
    workflow: str, clears_keys: bool
) -> tuple[Select[*tuple[Any, ...]], Update, Insert, ReturningInsert[int]]:
    """Statements built once per workflow, so each step reuses SQLAlchemy's compiled cache
    instead of paying for coercing a fresh ``.values(...)`` (about 0.3 ms a step)."""
    model, history, _ = MODELS[workflow]
    table = model.__table__
    read = select(*(table.c[f] for f in CASE_FIELDS[workflow])).where(table.c.id == bindparam("case_id"))
    columns = [f for f in WRITABLE if f in table.c] + ["updated_at"]
    values: dict[str, Any] = {c: bindparam(c) for c in columns}
    values.update(version=table.c.version + 1, overdue=False)
    if clears_keys:
        values.update(dedupe_key=None, exclusion_key=None)
    write = (
        update(table)
        .where(table.c.id == bindparam("case_id"), table.c.version == bindparam("seen_version"))
        .values(values)
    )
    return read, write, insert(history.__table__), _write_and_record(write, history.__table__)


def _write_and_record(write: Update, history: Table) -> ReturningInsert[int]:
    """PostgreSQL: the update and its history row in one statement (one round trip less);
    the history row exists only if the version-checked update took."""
    moved = write.returning(write.table.c.id).cte("moved")
    fk = next(c for c in history.c if c.foreign_keys)
    columns = [c for c in history.c if c is not fk and c.name != "id"]
    rows = select(moved.c.id, *(bindparam(f"h_{c.name}", type_=c.type) for c in columns))
    return insert(history).from_select([fk, *columns], rows).returning(history.c.id)


_STATEMENTS = {
    (wf, dead): _statements(wf, dead)
    for wf in ("claim", "contract")
    for dead in (False, True)
    if wf == "claim" or not dead
}


def transition(
    db: Database,
    workflow: str,
    case_id: int,
    trigger: str,
    actor: Actor,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    attendance_days: object = None,
) -> Any:
    """Take one step on one case in its own transaction; returns what the case is now.

    Pages, the inbox and the API come through here, so ``pay`` is always refused here: it
    carries no payout line (see ``payouts.confirm_paid``). ``attendance_days``: the 出勤天数 a
    village confirms when verifying a post-subsidy claim.

    A step that writes more than the state is handed to the service that registered it
    (``step_services``): before the row is read, or once it shows the service applies."""
    service = service_for(workflow, trigger)
    call = StepCall(db, case_id, trigger, actor, comment, expected_version, attendance_days)
    if service is not None and service.applies_to is None:
        return service.take(call)
    handed_over: Callable[[StepCall], Any] | None = None
    read = _STATEMENTS[(workflow, False)][0]
    # A bare connection, not a Session: nothing here needs the unit of work.
    with conflicts_mapped(), db.engine.begin() as conn:
        row = conn.execute(read, {"case_id": case_id}).first()
        if row is None:
            raise NotFound("not_found", "未找到该案件", id=case_id)
        case = SimpleNamespace(**row._mapping)
        if service is not None and service.applies_to is not None and service.applies_to(case):
            handed_over = service.take  # in a transaction of its own (below)
        else:
            if expected_version is not None and case.version != expected_version:
                raise _conflict(case.version)
            step = _fire(db, conn, workflow, case, trigger, actor, comment)
            dead = workflow == "claim" and case.state in CLAIM_DEAD_STATES
            _, write, add_history, both = _STATEMENTS[(workflow, dead)]
            params = {c: getattr(case, c) for c in (*WRITABLE, "updated_at") if hasattr(case, c)}
            params.update(case_id=case_id, seen_version=case.version)
            entry = history_values(workflow, case_id, step, actor)
            if db.dialect == "postgresql":
                params.update({f"h_{k}": v for k, v in entry.items()})
                if conn.execute(both, params).first() is None:
                    raise _conflict(None)
            else:
                if conn.execute(write, params).rowcount != 1:
                    raise _conflict(None)
                conn.execute(add_history, entry)
            case.version += 1
    if handed_over is not None:
        return handed_over(call)
    return case


def step_if(
    db: Database, session: Session, workflow: str, case_id: int, trigger: str, actor: Actor, condition: Any
) -> bool:
    """Take a step on one case if it applies now and ``condition`` (SQL) still holds when the
    row is written: a conditional UPDATE, so callers racing to take it move the case once
    (the payout batch confirms itself when its last line is settled). Returns whether it moved."""
    model, history, _ = MODELS[workflow]
    table = model.__table__
    while True:
        state = session.scalar(select(table.c.state).where(table.c.id == case_id))
        if state is None:
            return False
        case = SimpleNamespace(id=case_id, state=state)
        try:
            step = engine.fire(WORKFLOWS[workflow], case, trigger, actor, db.clock.now())
        except (InvalidTransition, TransitionRefused):
            return False
        moved = session.execute(
            update(table)
            .where(table.c.id == case_id, table.c.state == state, condition)
            .values(state=case.state)
        ).rowcount  # type: ignore[attr-defined]  # Session.execute is typed as Result even for DML
        if moved == 1:
            session.execute(insert(history.__table__), history_values(workflow, case_id, step, actor))
            return True
        if session.scalar(select(table.c.state).where(table.c.id == case_id)) == state:
            return False  # the condition does not hold
        # another step moved the case between our read and our write: look again


def _conflict(version: int | None) -> Conflict:
    return Conflict("conflict.stale", "该案件已被其他人修改，请刷新后重试", current_version=version)


def fire_chunk(
    db: Database,
    conn: Connection,
    workflow: str,
    case_ids: list[int],
    trigger: str,
    actor: Actor,
    comment: str | None = None,
) -> list[Any]:
    """Take the same step on many cases inside the caller's transaction (the sweep).

    Rows are read once (on PostgreSQL locked, skipping rows another process holds), each is
    fired on the shared machine, then updated with one version-checked statement per row
    batch and their history rows inserted together. A case the step no longer applies to
    (someone acted first, a guard refuses) is left alone. Returns the cases that moved.
    """
    if not case_ids:
        return []
    model = MODELS[workflow][0]
    table = model.__table__
    read = select(*(table.c[f] for f in CASE_FIELDS[workflow])).where(table.c.id.in_(case_ids))
    if db.dialect == "postgresql":
        read = read.with_for_update(skip_locked=True)
    moved: list[Any] = []
    steps: list[engine.Transition] = []
    for row in conn.execute(read.order_by(table.c.id)):
        case = SimpleNamespace(**row._mapping)
        try:
            steps.append(_fire(db, conn, workflow, case, trigger, actor, comment))
        except (InvalidTransition, TransitionRefused):
            continue
        moved.append(case)
    if not moved:
        return []
    for dead in (False, True):
        group = [c for c in moved if (workflow == "claim" and c.state in CLAIM_DEAD_STATES) == dead]
        if not group:
            continue
        write = _STATEMENTS[(workflow, dead)][1]
        params = [
            {
                **{c: getattr(case, c) for c in (*WRITABLE, "updated_at") if hasattr(case, c)},
                "case_id": case.id,
                "seen_version": case.version,
            }
            for case in group
        ]
        result = conn.execute(write, params)
        if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(group):
            raise _conflict(None)
    history = MODELS[workflow][1].__table__
    conn.execute(
        insert(history),
        [history_values(workflow, case.id, step, actor) for case, step in zip(moved, steps, strict=True)],
    )
    for case in moved:
        case.version += 1
    return moved
