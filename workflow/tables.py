"""What a workflow table is: its rows (``Step``, ``Wait``, ``Deadline``), the ``Workflow`` that
holds them and builds its shared ``transitions.Machine``, and the checks that refuse a bad table.

The tables themselves are in ``workflow.machines``; this module knows no state, role or step
by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from transitions import Machine

from .roles import Actor, Role

# In a step's ``not_by``: the organisation that filed the case. None of its members (an agent's
# colleagues, a village committee's own officer who also verifies) may take the step.
CLAIMANT_MEMBERS = "claimant_org_id"


@dataclass(frozen=True)
class Step:
    """One row of a workflow table."""

    trigger: str
    source: tuple[str, ...]
    dest: str | None  # None: an internal step that leaves the state as it is (renew)
    role: Role
    label: str
    guards: tuple[str, ...] = ()
    not_by: tuple[str, ...] = ()  # case attributes naming users who may not take this step
    stamps: str | None = None  # case attribute that records who took it
    bulk: bool = False  # offered on many cases at once (the inbox's buttons under the list)
    form: bool = False  # takes more than a comment (a policy number, a date): a form of its own

    def barred_by(self, case: Any, actor: Actor) -> str | None:
        """The ``not_by`` entry that keeps ``actor`` from this step on ``case``, if any."""
        for attr in self.not_by:
            value = getattr(case, attr, None)
            if value is None:
                continue
            if attr == CLAIMANT_MEMBERS:
                if actor.org_id is not None and value == actor.org_id:
                    return attr
            elif value == actor.user_id:
                return attr
        return None


@dataclass(frozen=True)
class Wait:
    """What a case in a state waits for: the step that moves it on (whose row names the role
    that owes it, so the inbox shows the case to that role), and, if waiting past the state's
    deadline is escalated, who is told."""

    trigger: str
    waiting_for: str  # the step as a notice names it (“超过村级核实期限”)
    escalate_to: Role | None = None


@dataclass(frozen=True)
class Deadline:
    """How long a case may wait in a state: working days, or calendar days."""

    working_days: int = 0
    calendar_days: int = 0


@dataclass
class Workflow:
    name: str
    label: str
    states: tuple[str, ...]
    initial: str
    terminal: frozenset[str]
    steps: tuple[Step, ...]
    deadlines: dict[str, Deadline] = field(default_factory=dict)
    # Who may open a case: rows with no source whose destination is ``initial``. The first
    # whose role the filer holds makes the case's first history row (``engine.created``).
    creation: tuple[Step, ...] = ()
    waits: dict[str, Wait] = field(default_factory=dict)
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        validate(self)
        self.machine = Machine(
            model=None,
            # Plain strings: ``transitions`` would name Enum states by member name.
            states=[str(state) for state in self.states],
            transitions=[
                {
                    "trigger": s.trigger,
                    "source": [str(x) for x in s.source],
                    "dest": None if s.dest is None else str(s.dest),
                }
                for s in self.steps
            ],
            initial=None,
            auto_transitions=False,
            model_attribute="state",
            send_event=True,
        )

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.trigger for s in self.steps))

    def step_for(self, trigger: str, state: str) -> Step | None:
        for s in self.steps:
            if s.trigger == trigger and state in s.source:
                return s
        return None

    def steps_from(self, state: str) -> Iterable[Step]:
        return (s for s in self.steps if state in s.source)

    def creation_for(self, roles: Iterable[Role]) -> Step | None:
        """The creation row a holder of ``roles`` files by, if any."""
        held = set(roles)
        return next((s for s in self.creation if s.role in held), None)

    def waiting_for(self, role: Role) -> tuple[str, ...]:
        """The states in which a case waits for ``role`` (its inbox), in table order."""
        return tuple(
            state
            for state in self.states
            if (wait := self.waits.get(state)) and self._owed(state, wait).role is role
        )

    def _owed(self, state: str, wait: Wait) -> Step:
        step = self.step_for(wait.trigger, state)
        assert step is not None  # validate() made sure
        return step

    @property
    def overdue_states(self) -> tuple[str, ...]:
        """The states in which waiting past the deadline is flagged and escalated."""
        return tuple(s for s in self.states if (w := self.waits.get(s)) and w.escalate_to)

    @property
    def bulk_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.bulk)

    @property
    def form_triggers(self) -> frozenset[str]:
        return frozenset(s.trigger for s in self.steps if s.form)

    def path_to(self, state: str, via: str | None = None) -> tuple[Step, ...]:
        """The fewest steps from a new case to ``state`` (through ``via`` if given), taking
        rows in table order: the demo's and the test builders' way to a case in any state."""
        if via is not None:
            return self.path_to(via) + self._path(via, state)
        return self._path(str(self.initial), state)

    def _path(self, start: str, goal: str) -> tuple[Step, ...]:
        paths: dict[str, tuple[Step, ...]] = {start: ()}
        frontier = [start]
        while frontier and goal not in paths:
            state = frontier.pop(0)
            for step in self.steps_from(state):
                if step.dest is not None and step.dest not in paths:
                    paths[step.dest] = (*paths[state], step)
                    frontier.append(step.dest)
        if goal not in paths:
            raise WorkflowTableError(f"{self.name}: no way from {start} to {goal}")
        return paths[goal]


class WorkflowTableError(ValueError):
    pass


def validate(wf: Workflow) -> None:
    """Refuse a table with unknown states, ambiguous rows, or a way out of a terminal state."""
    known = set(wf.states)
    seen: set[tuple[str, str]] = set()
    for s in wf.steps:
        for src in s.source:
            if src not in known:
                raise WorkflowTableError(f"{wf.name}.{s.trigger}: unknown source {src}")
            if src in wf.terminal and s.dest is not None:
                raise WorkflowTableError(f"{wf.name}.{s.trigger}: leaves terminal {src}")
            if (s.trigger, src) in seen:
                raise WorkflowTableError(f"{wf.name}.{s.trigger}: two rows from {src}")
            seen.add((s.trigger, src))
        if s.dest is not None and s.dest not in known:
            raise WorkflowTableError(f"{wf.name}.{s.trigger}: unknown destination {s.dest}")
    reachable, frontier = {wf.initial}, [wf.initial]
    while frontier:
        state = frontier.pop()
        for s in wf.steps_from(state):
            if s.dest and s.dest not in reachable:
                reachable.add(s.dest)
                frontier.append(s.dest)
    if unreachable := known - reachable:
        raise WorkflowTableError(f"{wf.name}: unreachable states {sorted(unreachable)}")
    for s in wf.creation:
        if s.source or s.dest != wf.initial:
            raise WorkflowTableError(
                f"{wf.name}.{s.trigger}: a creation row leads from nothing to {wf.initial}"
            )
    for state, wait in wf.waits.items():
        if state not in known or state in wf.terminal:
            raise WorkflowTableError(f"{wf.name}: waits in unknown or terminal state {state}")
        if wf.step_for(wait.trigger, state) is None:
            raise WorkflowTableError(f"{wf.name}: {state} waits for {wait.trigger}, which has no row from it")
        if wait.escalate_to is not None and state not in wf.deadlines:
            raise WorkflowTableError(f"{wf.name}: {state} is escalated but has no deadline")
