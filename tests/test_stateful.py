"""Random sequences of triggers and actors against one in-memory case per workflow.

Edges are written out by hand here (not read from the table), so a table row that
lets a case skip a step breaks ``no_skipped_step``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from workflow import engine
from workflow.errors import DomainError, TransitionRefused
from workflow.guards import PayoutLineRef
from workflow.machines import CLAIM, CONTRACT, Workflow
from workflow.roles import SYSTEM_ACTOR, Actor, Role

A, V, H, F, M = Role.AGENT, Role.VILLAGE, Role.HR, Role.FINANCE, Role.ADMIN


def _actor(uid: int, *roles: Role, villages: tuple[int, ...] = (), org: int | None = None) -> Actor:
    return Actor(uid, frozenset(roles), frozenset(villages), org, f"u{uid}")


USERS = [
    _actor(1, A, org=1),  # the claimant's own agent
    _actor(2, A, org=2),  # another organisation's agent
    _actor(3, V, F, villages=(1,)),  # verifier of the case's village, also finance
    _actor(4, V, villages=(2,)),  # verifier of another village
    _actor(5, V, H, villages=(1,)),  # verifier who is also HR
    _actor(6, H),
    _actor(7, H, F),  # reviewer who is also finance
    _actor(8, F),
    _actor(9, V, F, villages=(1, 2)),  # verifier who is also finance
    _actor(10, M),
    _actor(11, H, A, org=1),  # HR who also files for the claimant
    _actor(12, V, H, F, A, villages=(1,), org=1),  # everything
    _actor(13, H),
    SYSTEM_ACTOR,
]

CLAIM_EDGES = {
    ("submitted", "village_verified"),
    ("submitted", "returned"),
    ("submitted", "withdrawn"),
    ("village_verified", "hr_reviewed"),
    ("village_verified", "hr_first_reviewed"),  # a large amount: a second reviewer signs
    ("village_verified", "returned"),
    ("village_verified", "rejected"),
    ("village_verified", "withdrawn"),
    ("hr_first_reviewed", "hr_reviewed"),
    ("hr_first_reviewed", "returned"),
    ("hr_first_reviewed", "rejected"),
    ("hr_first_reviewed", "withdrawn"),
    ("hr_reviewed", "finance_paid"),
    ("returned", "submitted"),
    ("returned", "withdrawn"),
    ("returned", "expired"),
}
CONTRACT_EDGES = {
    ("submitted", "village_verified"),
    ("submitted", "returned"),
    ("village_verified", "hr_reviewed"),
    ("village_verified", "returned"),
    ("village_verified", "rejected"),
    ("returned", "submitted"),
    ("hr_reviewed", "active"),
    ("active", "terminated"),
    ("active", "expired"),
    ("active", "active"),
    ("expired", "expired"),  # renew leaves the state as it is
    ("hr_reviewed", "hr_reviewed"),  # so does recording the insurance policy
}
TRIGGER_ROLE = {  # who takes which trigger ("return": the village's, then HR's)
    "claim": {
        "verify": V,
        "approve": H,
        "approve_large": H,
        "countersign": H,
        "reject": H,
        "pay": F,
        "withdraw": A,
        "resubmit": A,
        "expire": Role.SYSTEM,
    },
    "contract": {
        "verify": V,
        "approve": H,
        "reject": H,
        "resubmit": H,
        "activate": H,
        "terminate": H,
        "expire": Role.SYSTEM,
        "renew": H,
        "record_insurance": H,
    },
}

REFUSAL_CODES = {
    "transition.unknown_trigger",
    "transition.not_allowed_from_state",
    "transition.not_your_role",
    "transition.not_your_village",
    "transition.not_your_claim",
    "transition.separation_of_duties",
    "transition.guard_failed.comment_given",
    "transition.guard_failed.due_passed",
    "transition.guard_failed.insurance_recorded",
    "transition.guard_failed.term_ended",
    "transition.guard_failed.term_at_most_one_year",
    "transition.guard_failed.not_renewed",
    "transition.guard_failed.through_payout_line",  # pay tried outside a payout batch
    "transition.guard_failed.within_ordinary_amount",  # approve on a large amount
    "transition.guard_failed.above_ordinary_amount",  # approve_large on an ordinary one
}

COMMENTS = st.sampled_from([None, "", "  ", "意见"])
STAMPS = ("submitted_by", "verified_by", "reviewed_by", "countersigned_by", "paid_by")
DUTY = {
    "verify": "verified_by",
    "approve": "reviewed_by",
    "approve_large": "reviewed_by",
    "countersign": "countersigned_by",
    "pay": "paid_by",
}


class Case:
    """A plain object with what the table and guards read."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def snapshot(self) -> dict[str, Any]:
        return dict(self.__dict__)


class WorkflowMachine(RuleBasedStateMachine):
    wf: ClassVar[Workflow]
    edges: ClassVar[set[tuple[str, str]]]

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 9, 25, 9, 0)
        self.history: list[engine.Transition] = []
        self.accepted = 0
        self.passes: list[dict[str, int]] = [{}]  # who verified / reviewed / paid, per pass
        self.submitter: int | None = None

    # -- the case ---------------------------------------------------------------------

    def new_case(self, submitter: int, large: bool) -> Case:
        raise NotImplementedError

    @initialize(submitter=st.sampled_from([1, 11, 12]), large=st.booleans())
    def start(self, submitter: int, large: bool) -> None:
        self.submitter = submitter
        self.case = self.new_case(submitter, large)

    # -- moving on --------------------------------------------------------------------

    @rule(days=st.integers(0, 10) | st.integers(0, 400), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        self.now += timedelta(days=days, hours=hours)

    @rule()
    def wait_past_the_deadline(self) -> None:
        ends = [self.case.due_at]
        end_date = getattr(self.case, "end_date", None)
        if end_date is not None:
            ends.append(datetime.combine(end_date, datetime.max.time()))
        latest = max((e for e in ends if e is not None), default=self.now)
        self.now = max(self.now, latest + timedelta(minutes=1))

    @rule(
        trigger=st.sampled_from(sorted(set(CLAIM.triggers) | set(CONTRACT.triggers))),
        who=st.sampled_from(USERS),
        comment=COMMENTS,
    )
    def anyone_tries_anything(self, trigger: str, who: Actor, comment: str | None) -> None:
        self._try(trigger, who, comment)

    def _press(self, data: st.DataObject, only: set[str] | None = None) -> None:
        buttons: dict[str, list[Actor]] = {}
        for who in USERS:
            for step in engine.available(self.wf, self.case, who, self.now):
                if only is None or step.trigger in only:
                    buttons.setdefault(step.trigger, []).append(who)
        if buttons:
            trigger = data.draw(st.sampled_from(sorted(buttons)))
            who = data.draw(st.sampled_from(buttons[trigger]))
            # every button shown must work (pay's is a link to the batch: it brings the line)
            assert self._try(trigger, who, "按钮意见", via_batch=True), (trigger, who)

    @rule(data=st.data())
    def someone_presses_a_button(self, data: st.DataObject) -> None:
        self._press(data)

    @rule(data=st.data())
    def someone_moves_the_case_on(self, data: st.DataObject) -> None:
        onward = {"verify", "approve", "approve_large", "countersign", "pay", "resubmit", "activate", "renew"}
        self._press(data, onward)

    @rule(data=st.data())
    def an_earlier_actor_tries_the_next_step(self, data: st.DataObject) -> None:
        """Aimed at separation of duties: someone who already acted on the case goes on."""
        earlier = {t.actor_id for t in self.history} | {self.submitter}
        actors = [u for u in USERS if u.user_id in earlier]
        triggers = sorted({s.trigger for s in self.wf.steps_from(self.case.state)})
        if triggers:
            self._try(data.draw(st.sampled_from(triggers)), data.draw(st.sampled_from(actors)), "意见")

    def _try(self, trigger: str, who: Actor, comment: str | None, via_batch: bool = False) -> bool:
        before = self.case.snapshot()
        line = PayoutLineRef(1, getattr(self.case, "id", 0), "FK2026-0001", "YH1") if via_batch else None
        try:
            t = engine.fire(self.wf, self.case, trigger, who, self.now, comment, payout_line=line)
        except TransitionRefused as refused:
            assert refused.code in REFUSAL_CODES, refused.code
            assert self.case.snapshot() == before, "a refused step changed the case"
            return False
        except DomainError as other:  # pragma: no cover - would be a bug
            raise AssertionError(f"unexpected refusal {other.code}") from other
        self.accepted += 1
        self.history.append(t)
        self._after(t, who, before)
        return True

    def _after(self, t: engine.Transition, who: Actor, before: dict[str, Any]) -> None:
        if t.trigger == "return":
            wf_role = V if t.from_state == "submitted" else H
        else:
            wf_role = TRIGGER_ROLE[self.wf.name][t.trigger]
        assert t.role is wf_role and wf_role in who.roles
        assert t.actor_id == who.user_id and t.at == self.now
        assert (t.from_state, t.to_state) in self.edges, (t.trigger, t.from_state, t.to_state)
        assert str(t.from_state) == before["state"]
        assert self.case.state == t.to_state
        if self.wf is CLAIM and wf_role is not A and t.role is not Role.SYSTEM:
            # Nobody of the filing organisation verifies, reviews or pays its claims.
            assert who.org_id != self.case.claimant_org_id, (t.trigger, who)
        if t.trigger in DUTY:
            self.passes[-1][DUTY[t.trigger]] = who.user_id
            assert getattr(self.case, DUTY[t.trigger]) == who.user_id
        if t.trigger in ("return", "reject", "terminate"):
            assert t.comment == "意见" or t.comment == "按钮意见"
        if t.trigger == "resubmit":
            self.passes.append({})
        if t.to_state != t.from_state:
            deadline = self.wf.deadlines.get(t.to_state)
            if deadline is None:
                assert self.case.due_at is None
            else:
                assert self.case.due_at > self.now
                assert self.case.due_at.time() == datetime.max.time().replace(microsecond=0)
        else:
            assert self.case.due_at == before["due_at"]

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def history_is_a_chain_of_accepted_steps(self) -> None:
        if not hasattr(self, "case"):
            return
        assert len(self.history) == self.accepted
        state = str(self.wf.initial)
        for t in self.history:
            assert t.from_state == state
            state = t.to_state
        assert self.case.state == state
        stamps = [t.at for t in self.history]
        assert stamps == sorted(stamps)

    @invariant()
    def no_skipped_step(self) -> None:
        for t in self.history:
            assert (t.from_state, t.to_state) in self.edges

    @invariant()
    def separation_of_duties(self) -> None:
        for p in self.passes:
            people = [p.get(k) for k in ("verified_by", "reviewed_by", "countersigned_by", "paid_by")]
            acted = [u for u in people if u is not None]
            assert len(acted) == len(set(acted)), p
            assert self.submitter not in acted

    @invariant()
    def terminal_states_stay_terminal(self) -> None:
        for t in self.history:
            if t.from_state in self.wf.terminal:
                assert t.to_state == t.from_state and t.trigger == "renew"


class ClaimMachine(WorkflowMachine):
    wf = CLAIM
    edges = CLAIM_EDGES

    def new_case(self, submitter: int, large: bool) -> Case:
        return Case(
            id=1,
            state="submitted",
            village_id=1,
            claimant_org_id=1,
            submitted_by=submitter,
            verified_by=None,
            reviewed_by=None,
            countersigned_by=None,
            paid_by=None,
            due_at=datetime(2026, 10, 9, 23, 59, 59),
            amount=Decimal("2100.00") if large else Decimal("800.00"),
            ordinary_amount=Decimal("1600"),
        )

    @invariant()
    def paid_only_after_every_step(self) -> None:
        if getattr(self, "case", None) is not None and self.case.state == "finance_paid":
            last = self.passes[-1]
            assert {"verified_by", "reviewed_by", "paid_by"} <= last.keys()
            # A large amount was signed by two different reviewers before it was paid.
            assert ("countersigned_by" in last) == (self.case.amount > self.case.ordinary_amount)


class ContractMachine(WorkflowMachine):
    wf = CONTRACT
    edges = CONTRACT_EDGES

    def new_case(self, submitter: int, large: bool) -> Case:
        return Case(
            state="submitted",
            village_id=1,
            claimant_org_id=None,
            submitted_by=submitter,
            verified_by=None,
            reviewed_by=None,
            due_at=datetime(2026, 10, 9, 23, 59, 59),
            insurance_policy_no="PICC-1",
            start_date=date(2026, 10, 1),
            end_date=date(2027, 3, 31),
            successor_id=None,
        )

    @rule(policy=st.sampled_from(["", "PICC-1"]))
    def record_insurance(self, policy: str) -> None:
        self.case.insurance_policy_no = policy

    @rule(months=st.integers(1, 14))
    def change_term(self, months: int) -> None:
        if self.case.state in ("submitted", "village_verified", "returned"):
            self.case.end_date = self.case.start_date + timedelta(days=30 * months)

    def _after(self, t: engine.Transition, who: Actor, before: dict[str, Any]) -> None:
        super()._after(t, who, before)
        if t.trigger == "renew":
            assert before["successor_id"] is None
            self.case.successor_id = 1000 + self.accepted  # the service files the successor
        if t.trigger == "expire":
            assert self.now.date() > self.case.end_date
        if t.trigger == "activate":
            assert self.case.insurance_policy_no == "PICC-1"
        if t.trigger == "approve":
            assert (self.case.end_date - self.case.start_date).days < 366

    @invariant()
    def renewed_at_most_once(self) -> None:
        assert sum(t.trigger == "renew" for t in self.history) <= 1


SETTINGS = settings(
    max_examples=200, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

TestClaimMachine = ClaimMachine.TestCase
TestClaimMachine.settings = SETTINGS
TestContractMachine = ContractMachine.TestCase
TestContractMachine.settings = SETTINGS
