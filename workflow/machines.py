"""The two workflows as data: one table per workflow, one shared ``transitions.Machine`` each.

Changing the process means editing a table below. Everything else (the engine's
checks, the inbox buttons, the diagrams in ``fuzhi machines``) is derived from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from transitions import Machine

from .roles import Role
from .states import BatchState, ClaimState, ContractState

# Users recorded on a case by the step they took (separation of duties reads them back).
SUBMITTED_BY = "submitted_by"
VERIFIED_BY = "verified_by"
REVIEWED_BY = "reviewed_by"
PAID_BY = "paid_by"


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


C = ClaimState
_HR_HANDS_OFF = (VERIFIED_BY, SUBMITTED_BY)

CLAIM = Workflow(
    name="claim",
    label="补贴申请",
    states=tuple(C),
    initial=C.SUBMITTED,
    terminal=frozenset({C.FINANCE_PAID, C.REJECTED, C.WITHDRAWN, C.EXPIRED}),
    steps=(
        # trigger, source, dest, role, label, guards, not_by, stamps
        Step(
            "verify",
            (C.SUBMITTED,),
            C.VILLAGE_VERIFIED,
            Role.VILLAGE,
            "核实通过",
            not_by=(SUBMITTED_BY,),
            stamps=VERIFIED_BY,
            bulk=True,
        ),
        Step(
            "return",
            (C.SUBMITTED,),
            C.RETURNED,
            Role.VILLAGE,
            "退回修改",
            guards=("comment_given",),
            not_by=(SUBMITTED_BY,),
        ),
        Step(
            "approve",
            (C.VILLAGE_VERIFIED,),
            C.HR_REVIEWED,
            Role.HR,
            "审核通过",
            guards=("absorption_threshold_met",),
            not_by=_HR_HANDS_OFF,
            stamps=REVIEWED_BY,
            bulk=True,
        ),
        Step(
            "return",
            (C.VILLAGE_VERIFIED,),
            C.RETURNED,
            Role.HR,
            "退回修改",
            guards=("comment_given",),
            not_by=_HR_HANDS_OFF,
        ),
        Step(
            "reject",
            (C.VILLAGE_VERIFIED,),
            C.REJECTED,
            Role.HR,
            "不予批准",
            guards=("comment_given",),
            not_by=_HR_HANDS_OFF,
        ),
        # Only the payout service, confirming a batch line with the bank's reference, can
        # satisfy this guard: no page, inbox button or API pays a claim outside a batch.
        Step(
            "pay",
            (C.HR_REVIEWED,),
            C.FINANCE_PAID,
            Role.FINANCE,
            "确认发放",
            guards=("through_payout_line",),
            not_by=(REVIEWED_BY, VERIFIED_BY, SUBMITTED_BY),
            stamps=PAID_BY,
        ),
        Step("withdraw", (C.SUBMITTED, C.VILLAGE_VERIFIED, C.RETURNED), C.WITHDRAWN, Role.AGENT, "撤回"),
        Step("resubmit", (C.RETURNED,), C.SUBMITTED, Role.AGENT, "重新提交"),
        Step("expire", (C.RETURNED,), C.EXPIRED, Role.SYSTEM, "逾期未重新提交，过期", guards=("due_passed",)),
    ),
    deadlines={
        C.SUBMITTED: Deadline(working_days=5),
        C.VILLAGE_VERIFIED: Deadline(working_days=10),
        C.HR_REVIEWED: Deadline(working_days=15),
        C.RETURNED: Deadline(calendar_days=30),
    },
    creation=(
        Step("submit", (), C.SUBMITTED, Role.AGENT, "提交申请"),
        # The sweep files each month's public-welfare post claim for the village committee.
        Step("submit", (), C.SUBMITTED, Role.SYSTEM, "按月生成"),
    ),
    # Overdue work goes to the level above the one that should have acted: the county bureau
    # (HR) is above the village; the bureau's head (the admin account) above HR and finance.
    waits={
        C.SUBMITTED: Wait("verify", "村级核实", escalate_to=Role.HR),
        C.VILLAGE_VERIFIED: Wait("approve", "人社局审核", escalate_to=Role.ADMIN),
        C.HR_REVIEWED: Wait("pay", "财务发放", escalate_to=Role.ADMIN),
        C.RETURNED: Wait("resubmit", "重新提交"),  # not escalated: it expires (``expire``)
    },
)

K = ContractState

CONTRACT = Workflow(
    name="contract",
    label="公益性岗位协议",
    states=tuple(K),
    initial=K.SUBMITTED,
    terminal=frozenset({K.EXPIRED, K.TERMINATED, K.REJECTED}),
    steps=(
        Step(
            "verify",
            (K.SUBMITTED,),
            K.VILLAGE_VERIFIED,
            Role.VILLAGE,
            "核实通过",
            not_by=(SUBMITTED_BY,),
            stamps=VERIFIED_BY,
        ),
        Step(
            "return",
            (K.SUBMITTED,),
            K.RETURNED,
            Role.VILLAGE,
            "退回修改",
            guards=("comment_given",),
            not_by=(SUBMITTED_BY,),
        ),
        Step(
            "approve",
            (K.VILLAGE_VERIFIED,),
            K.HR_REVIEWED,
            Role.HR,
            "审核通过",
            guards=("term_at_most_one_year",),
            not_by=_HR_HANDS_OFF,
            stamps=REVIEWED_BY,
        ),
        Step(
            "return",
            (K.VILLAGE_VERIFIED,),
            K.RETURNED,
            Role.HR,
            "退回修改",
            guards=("comment_given",),
            not_by=_HR_HANDS_OFF,
        ),
        Step(
            "reject",
            (K.VILLAGE_VERIFIED,),
            K.REJECTED,
            Role.HR,
            "不予批准",
            guards=("comment_given",),
            not_by=_HR_HANDS_OFF,
        ),
        Step("resubmit", (K.RETURNED,), K.SUBMITTED, Role.HR, "重新提交"),
        # Recording the accident-insurance policy leaves the state as it is, but is a step
        # of its own so that who recorded which policy stays in the history.
        Step("record_insurance", (K.HR_REVIEWED, K.ACTIVE), None, Role.HR, "登记意外伤害保险", form=True),
        Step("activate", (K.HR_REVIEWED,), K.ACTIVE, Role.HR, "生效", guards=("insurance_recorded",)),
        Step(
            "terminate", (K.ACTIVE,), K.TERMINATED, Role.HR, "有序退岗", guards=("comment_given",), form=True
        ),
        Step("expire", (K.ACTIVE,), K.EXPIRED, Role.SYSTEM, "到期终止", guards=("term_ended",)),
        # Renewal leaves this contract as it is; the service files its successor.
        Step("renew", (K.ACTIVE, K.EXPIRED), None, Role.HR, "续签", guards=("not_renewed",), form=True),
    ),
    deadlines={
        K.SUBMITTED: Deadline(working_days=5),
        K.VILLAGE_VERIFIED: Deadline(working_days=10),
        K.RETURNED: Deadline(calendar_days=30),
    },
    creation=(Step("submit", (), K.SUBMITTED, Role.HR, "拟定协议"),),
    waits={
        K.SUBMITTED: Wait("verify", "村级核实", escalate_to=Role.HR),
        K.VILLAGE_VERIFIED: Wait("approve", "人社局审核", escalate_to=Role.ADMIN),
        K.HR_REVIEWED: Wait("activate", "登记保险并生效"),
        # Returned contracts are resubmitted by HR: they wait in HR's inbox.
        K.RETURNED: Wait("resubmit", "重新提交", escalate_to=Role.ADMIN),
    },
)

B = BatchState

# A payout batch: finance makes it from approved claims, exports the bank file (again, if the
# bank asks), and confirms each line with the bank's reference or marks it failed (the line's
# own status: a failed line's claim goes back to the pool, the batch is not failed). Once no
# line is pending the batch is confirmed by itself; finance then closes it.
PAYOUT = Workflow(
    name="payout",
    label="发放批次",
    states=tuple(B),
    initial=B.OPEN,
    terminal=frozenset({B.CLOSED}),
    steps=(
        Step("export", (B.OPEN, B.EXPORTED), B.EXPORTED, Role.FINANCE, "导出银行文件"),
        Step("confirm", (B.OPEN, B.EXPORTED), B.CONFIRMED, Role.SYSTEM, "全部明细已确认或失败"),
        Step("close", (B.CONFIRMED,), B.CLOSED, Role.FINANCE, "关闭批次"),
    ),
    creation=(Step("create", (), B.OPEN, Role.FINANCE, "生成发放批次"),),
)

WORKFLOWS = {wf.name: wf for wf in (CLAIM, CONTRACT, PAYOUT)}
