"""A transition is one service call: version-check the row, fire the shared machine,
append the history row, commit. Concurrent attempts: one wins, the rest get ``Conflict``.

``transition`` is the hot path (every click in the inbox, every row of the sweep), so it
reads and writes with SQLAlchemy Core rather than the ORM unit of work; services that do
more in the same transaction (resubmit with new facts, renew) use ``apply`` on ORM rows.

What a step reads and writes (tables, columns, history rows, the statements) is in
``store.step_rows``; how a case opens, in ``store.opening``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow import engine
from workflow.errors import Conflict, InvalidTransition, NotFound, TransitionRefused
from workflow.guards import PayoutLineRef
from workflow.machines import WORKFLOWS
from workflow.roles import Actor
from workflow.states import CLAIM_DEAD_STATES

from .db import Database
from .guard_inputs import supply_guard_inputs
from .models import Claim, Contract
from .step_rows import CASE_FIELDS, MODELS, STATEMENTS, WRITABLE, history_values, record
from .step_services import StepCall, service_for
from .timerules import timecache

__all__ = [
    "apply",
    "conflicts_mapped",
    "fire_chunk",
    "one_step",
    "step_if",
    "step_in",
    "transition",
]


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
    committed: Callable[[Connection, int], None] | None = None,
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
    read = STATEMENTS[(workflow, False)][0]
    # A bare connection, not a Session: nothing here needs the unit of work.
    with conflicts_mapped(), db.engine.begin() as conn:
        row = conn.execute(read, {"case_id": case_id}).first()
        if row is None:
            raise NotFound("not_found", "未找到该案件", id=case_id)
        case = SimpleNamespace(**row._mapping)
        if service is not None and service.applies_to is not None and service.applies_to(case):
            handed_over = service.take  # in a transaction of its own (below)
        else:
            _step_on(db, conn, workflow, case, trigger, actor, comment, expected_version)
            if committed is not None:  # in the step's transaction: an Idempotency-Key's note
                committed(conn, case.id)
    if handed_over is not None:
        return handed_over(call)
    return case


def step_in(
    db: Database,
    conn: Connection,
    workflow: str,
    case_id: int,
    trigger: str,
    actor: Actor,
    comment: str | None = None,
    payout_line: PayoutLineRef | None = None,
) -> Any:
    """Take one step on one case inside the caller's transaction, on Core like ``transition``
    (the payout service's ``pay``, handing the step its payout line). Only for steps that no
    service registered: those write more than the state."""
    assert service_for(workflow, trigger) is None, trigger
    row = conn.execute(STATEMENTS[(workflow, False)][0], {"case_id": case_id}).first()
    if row is None:
        raise NotFound("not_found", "未找到该案件", id=case_id)
    case = SimpleNamespace(**row._mapping)
    _step_on(db, conn, workflow, case, trigger, actor, comment, None, payout_line)
    return case


def _step_on(
    db: Database,
    conn: Connection,
    workflow: str,
    case: Any,
    trigger: str,
    actor: Actor,
    comment: str | None,
    expected_version: int | None,
    payout_line: PayoutLineRef | None = None,
) -> None:
    """Fire the step on the row read and write it: the version-checked update and the history
    row (one statement on PostgreSQL). A lost race is ``Conflict``."""
    if expected_version is not None and case.version != expected_version:
        raise _conflict(case.version)
    step = _fire(db, conn, workflow, case, trigger, actor, comment, payout_line)
    dead = workflow == "claim" and case.state in CLAIM_DEAD_STATES
    _, write, add_history, both = STATEMENTS[(workflow, dead)]
    params = {c: getattr(case, c) for c in (*WRITABLE, "updated_at") if hasattr(case, c)}
    params.update(case_id=case.id, seen_version=case.version)
    entry = history_values(workflow, case.id, step, actor)
    if db.dialect == "postgresql":
        params.update({f"h_{k}": v for k, v in entry.items()})
        if conn.execute(both, params).first() is None:
            raise _conflict(None)
    else:
        if conn.execute(write, params).rowcount != 1:
            raise _conflict(None)
        conn.execute(add_history, entry)
    case.version += 1


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
        write = STATEMENTS[(workflow, dead)][1]
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
