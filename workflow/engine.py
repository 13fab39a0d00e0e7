"""Fire a trigger on a case for an actor at a time, or say exactly why not.

A *case* is any object with the attributes the table and guards read (``state``,
``village_id``, ``claimant_org_id``, ``submitted_by``, ...): an ORM row in the
service layer, a plain object in tests. The shared machine changes ``state``;
a Machine is never built per case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .calendar import DEFAULT_CALENDAR, WorkCalendar
from .errors import InvalidTransition, TransitionRefused
from .guards import GUARDS, GuardContext, PayoutLineRef
from .machines import Deadline, Step, Workflow
from .roles import Actor, Role
from .states import STATE_LABELS
from .tables import CLAIMANT_MEMBERS
from .text_input import checked_text


@dataclass(frozen=True)
class Transition:
    """What one accepted step did: the history row, before it is stored."""

    workflow: str
    trigger: str
    from_state: str | None  # None for the submission that creates the case
    to_state: str
    actor_id: int
    role: Role
    at: datetime
    comment: str | None


def check(
    wf: Workflow,
    case: Any,
    trigger: str,
    actor: Actor,
    now: datetime,
    comment: str | None = None,
    *,
    with_input: bool = True,
    payout_line: PayoutLineRef | None = None,
) -> Step:
    """The step ``actor`` may take with ``trigger`` now; raises the first reason it may not."""
    state = case.state
    step = wf.step_for(trigger, state)
    if step is None:
        if trigger not in wf.triggers:
            raise InvalidTransition("transition.unknown_trigger", f"没有“{trigger}”这个操作", trigger=trigger)
        raise InvalidTransition(
            "transition.not_allowed_from_state",
            f"当前状态“{STATE_LABELS.get(state, state)}”下不能办理此操作",
            trigger=trigger,
            state=state,
        )
    if step.role not in actor.roles:
        raise TransitionRefused(
            "transition.not_your_role",
            f"“{step.label}”须由{step.role.value}角色办理",
            trigger=trigger,
            role=step.role.value,
        )
    _check_scope(step, case, actor)
    barred = step.barred_by(case, actor)
    if barred is not None:
        raise TransitionRefused(
            "transition.separation_of_duties",
            "申报单位的成员不得核实、审核或发放本单位申报的案件"
            if barred == CLAIMANT_MEMBERS
            else "同一人不得在同一案件上办理两个环节（核实、审核、发放须由不同人员办理）",
            trigger=trigger,
            conflicting_step=barred,
        )
    ctx = GuardContext(now=now, comment=comment, payout_line=payout_line)
    for name in step.guards:
        guard = GUARDS[name]
        if (guard.needs_input or guard.service) and not with_input:
            continue
        if not guard.check(case, ctx):
            raise TransitionRefused(
                f"transition.guard_failed.{name}",
                guard.message_for(case),
                trigger=trigger,
                guard=name,
                **guard.figures_of(case),
            )
    return step


def _check_scope(step: Step, case: Any, actor: Actor) -> None:
    if step.role is Role.VILLAGE and case.village_id not in actor.village_ids:
        raise TransitionRefused("transition.not_your_village", "只能核实本村人员的案件", trigger=step.trigger)
    if step.role is Role.AGENT and (
        actor.org_id is None or getattr(case, "claimant_org_id", None) != actor.org_id
    ):
        raise TransitionRefused("transition.not_your_claim", "只能办理本单位申报的案件", trigger=step.trigger)


def fire(
    wf: Workflow,
    case: Any,
    trigger: str,
    actor: Actor,
    now: datetime,
    comment: str | None = None,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    deadlines: dict[str, Deadline] | None = None,
    payout_line: PayoutLineRef | None = None,
) -> Transition:
    """Take the step on ``case`` (mutating it) and return the history row to store."""
    comment = checked_text(comment, "comment", "意见或原因") or None
    step = check(wf, case, trigger, actor, now, comment, payout_line=payout_line)
    from_state = case.state
    case.state = str(case.state)  # ``transitions`` would look an Enum state up by member name
    if not wf.machine.events[trigger].trigger(case):
        raise InvalidTransition(
            "transition.not_allowed_from_state", "状态机拒绝了此操作", trigger=trigger, state=from_state
        )
    if step.stamps:
        setattr(case, step.stamps, actor.user_id)
    if step.dest is not None:
        deadline = (deadlines or wf.deadlines).get(case.state)
        case.due_at = calendar.due(now, deadline) if deadline else None
    return Transition(
        wf.name,
        trigger,
        from_state,
        case.state,
        actor.user_id,
        step.role,
        now,
        comment,
    )


def created(
    wf: Workflow,
    actor: Actor,
    now: datetime,
    comment: str | None = None,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    deadlines: dict[str, Deadline] | None = None,
) -> tuple[Transition, datetime | None]:
    """Open a case: the first history row (by the table's creation row for the filer's role)
    and when the first wait falls due. Every filer comes through here, one case or a list."""
    comment = checked_text(comment, "comment", "说明") or None
    step = wf.creation_for(actor.roles)
    if step is None or step.dest is None:
        raise TransitionRefused(
            "transition.not_your_role",
            f"“{wf.label}”须由{'、'.join(s.role.value for s in wf.creation)}角色提交",
            trigger="submit",
        )
    state = str(step.dest)
    deadline = (deadlines or wf.deadlines).get(state)
    due = calendar.due(now, deadline) if deadline else None
    row = Transition(wf.name, step.trigger, None, state, actor.user_id, step.role, now, comment)
    return row, due


def service_of(step: Step) -> str | None:
    """The service through which alone the step is taken (``payout`` for ``pay``), if any."""
    return next((GUARDS[g].service for g in step.guards if GUARDS[g].service), None)


def available(wf: Workflow, case: Any, actor: Actor, now: datetime) -> list[Step]:
    """The steps this actor may take on the case now: the buttons a page should show (a step
    with a ``service_of`` is shown as a link to that service instead)."""
    allowed = []
    for step in wf.steps_from(case.state):
        try:
            check(wf, case, step.trigger, actor, now, with_input=False)
        except TransitionRefused:
            continue
        allowed.append(step)
    return allowed
