"""The demo county's 公益性岗位 contracts: who holds each post place, each place's history
(active, ending soon, renewed, expired, terminated, rejected, pending), and its replay.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from store.contracts import (
    ContractInput,
    propose_contract,
    record_insurance,
    renew_contract,
    terminate_contract,
)
from store.transitions import transition
from workflow.dates import max_term_end
from workflow.machines import CONTRACT
from workflow.roles import SYSTEM_ACTOR, Actor
from workflow.states import ContractState

from .places import COUNTY
from .plans import Act, ContractPlan, PersonRow, PostRow
from .scenarios import (
    CONTRACT_REJECTIONS,
    CONTRACT_RETURNS,
    ENDING_IN_DAYS,
    ONE_CONTRACT_SCENARIOS,
    TERMINATION_REASONS,
    TWO_CONTRACT_SCENARIOS,
)
from .state import LoaderState
from .timeline import steps_to


class ContractLoader(LoaderState):
    """Plans each post place's contracts and replays them."""

    def _holder(self, post: PostRow) -> PersonRow:
        free = [
            p
            for p in self.persons
            if p.village is post.village and p.id not in self.holders and p is not self.self_filer
        ]
        if post.graduate:
            free = sorted((p for p in free if p.graduate_left), key=lambda p: p.graduate_left or date.min)
        else:  # priority to target groups, weak and half labour first
            free = [p for p in free if not p.graduate_left and p.age >= 25]
            self.rng.shuffle(free)
            free.sort(key=lambda p: (not p.groups, p.labour == "full"))
        if not free:
            raise RuntimeError(f"demo: nobody left for {post.title} in {post.village.name}")
        self.holders.add(free[0].id)
        return free[0]

    def _contract(
        self,
        post: PostRow,
        start: date,
        end: date | None = None,
        propose_at: datetime | None = None,
        active: bool = True,
    ) -> ContractPlan:
        """A contract proposed before its start and, if ``active``, taken to active."""
        t, rng = self.time, self.rng
        proposer, approver = rng.sample(self.hr, 2)
        kind = (
            "labour_contract"
            if post.title in ("就业信息员", "大学生公岗") and rng.random() < 0.5
            else "service_agreement"
        )
        plan = ContractPlan(
            post,
            self._holder(post),
            start,
            end or max_term_end(start),
            kind,
            proposer,
            propose_at or t.at(start - timedelta(days=rng.randint(22, 35))),
        )
        if active:
            assert plan.propose_at is not None
            self._activation(plan, plan.propose_at, approver)
        self.contracts.append(plan)
        return plan

    def _activation(self, plan: ContractPlan, after: datetime, approver: Actor) -> None:
        t = self.time
        verify = t.later(after, 1, 3)
        approve = t.later(verify, 1, 4)
        insure = t.later(approve, 1, 2)
        plan.acts += [
            Act(
                "verify",
                verify,
                self.rng.choice(self.verifiers[plan.post.village.id]),
                self.rng.choice(("已核实，本人同意聘任", None)),
            ),
            Act("approve", approve, approver, "同意聘任"),
            Act("insure", insure, plan.proposer, f"PEAC{insure.year}{COUNTY}{next(self.counter):05d}"),
            Act("activate", insure + timedelta(minutes=self.rng.randint(5, 60)), plan.proposer),
        ]

    def _expiry(self, plan: ContractPlan) -> None:
        plan.acts.append(Act("expire", self.time.nightly(plan.end + timedelta(days=1)), SYSTEM_ACTOR))

    def plan_contracts(self) -> None:
        rng = self.rng
        lanes = [(post, i) for post in self.posts for i in range(post.places)]
        single = [lane for lane in lanes if lane[0].places == 1]
        rng.shuffle(single)
        scenarios = dict(zip(map(id, single), TWO_CONTRACT_SCENARIOS, strict=False))
        rest = [lane for lane in lanes if id(lane) not in scenarios]
        rng.shuffle(rest)
        scenarios.update(zip(map(id, rest), ONE_CONTRACT_SCENARIOS, strict=False))
        ending = iter(ENDING_IN_DAYS)
        for lane in lanes:
            self._scenario(lane[0], scenarios.get(id(lane), "active"), ending)

    def _scenario(self, post: PostRow, scenario: str, ending: Iterator[int]) -> None:
        rng, t = self.rng, self.time
        today = t.today

        def year_to(end: date) -> date:  # the start of a one-year term ending on ``end``
            return end + timedelta(days=1) - relativedelta(years=1)

        if scenario == "active":
            self._contract(post, (today - timedelta(days=rng.randint(35, 300))).replace(day=1))
        elif scenario == "ending_soon":
            end = today + timedelta(days=next(ending))
            self._contract(post, year_to(end), end)
        elif scenario == "expired":
            end = today - timedelta(days=rng.randint(15, 80))
            self._expiry(self._contract(post, year_to(end), end))
        elif scenario in ("renewed", "renewal_pending"):
            if scenario == "renewed":
                end = today - timedelta(days=rng.randint(6, 25))
                renew_at = t.at(end - timedelta(days=rng.randint(30, 45)))
            else:
                end = today + timedelta(days=rng.randint(6, 20))
                renew_at = t.at(t.ago(2, 6), back=True)
            old = self._contract(post, year_to(end), end)
            old.acts.append(Act("renew", renew_at, old.proposer))
            start = end + timedelta(days=1)
            old.successor = ContractPlan(
                post, old.person, start, max_term_end(start), old.kind, old.proposer, None
            )
            if scenario == "renewed":
                approver = next(a for a in self.hr if a is not old.proposer)
                self._activation(old.successor, renew_at, approver)
                self._expiry(old)
        elif scenario == "expired_then_new":
            end = today - timedelta(days=rng.randint(45, 120))
            self._expiry(self._contract(post, year_to(end), end))
            self._contract(post, end + timedelta(days=rng.randint(1, 20)))
        elif scenario == "terminated_then_new":
            old = self._contract(post, (today - timedelta(days=rng.randint(220, 330))).replace(day=1))
            ended = t.at(old.start + timedelta(days=rng.randint(70, 160)))
            old.acts.append(Act("terminate", ended, old.proposer, rng.choice(TERMINATION_REASONS)))
            start = (ended.date() + relativedelta(months=1)).replace(day=1)
            self._contract(
                post, start, propose_at=max(t.later(ended, 2, 5), t.at(start - timedelta(days=25)))
            )
        elif scenario == "rejected_then_new":
            proposed = t.at(t.ago(100, 200))
            old = self._contract(
                post,
                (proposed.date() + relativedelta(months=1)).replace(day=1),
                propose_at=proposed,
                active=False,
            )
            verify = t.later(proposed, 1, 3)
            rejected = t.later(verify, 1, 4)
            old.acts += [
                Act("verify", verify, rng.choice(self.verifiers[post.village.id])),
                Act(
                    "reject",
                    rejected,
                    next(a for a in self.hr if a is not old.proposer),
                    rng.choice(CONTRACT_REJECTIONS),
                ),
            ]
            proposed = t.later(rejected, 3, 10)
            self._contract(
                post, (proposed.date() + relativedelta(months=1)).replace(day=1), propose_at=proposed
            )
        elif scenario.startswith("pending_"):
            self._pending(post, scenario.removeprefix("pending_"))

    def _pending(self, post: PostRow, state: str) -> None:
        rng, t = self.rng, self.time
        start = (t.today + relativedelta(months=1)).replace(day=1)
        if (start - t.today).days < 5:
            start += relativedelta(months=1)
        K = ContractState
        returned = rng.choice(
            (steps_to(CONTRACT, K.RETURNED), steps_to(CONTRACT, K.RETURNED, via=K.VILLAGE_VERIFIED))
        )
        steps = returned if state == K.RETURNED else steps_to(CONTRACT, state)
        times = t.plan(t.ago(2, 12), [(1, 3)] * len(steps))
        assert times is not None
        plan = self._contract(post, start, propose_at=times[0], active=False)
        approver = next(a for a in self.hr if a is not plan.proposer)
        for step, at in zip(steps, times[1:], strict=True):
            if step == "verify":
                plan.acts.append(Act("verify", at, rng.choice(self.verifiers[post.village.id])))
            elif step == "approve":
                plan.acts.append(Act("approve", at, approver, "同意聘任"))
            elif step == "return":
                plan.acts.append(
                    Act(
                        "return",
                        at,
                        rng.choice(self.verifiers[post.village.id]),
                        rng.choice(CONTRACT_RETURNS),
                    )
                )
            else:
                plan.acts.append(Act("return", at, approver, rng.choice(CONTRACT_RETURNS)))

    def contract_case(self, plan: ContractPlan) -> Iterator[datetime]:
        if plan.propose_at is not None:
            yield plan.propose_at
            with self.db.transaction() as session:
                plan.id = propose_contract(
                    session,
                    self.db,
                    plan.proposer,
                    ContractInput(plan.post.id, plan.person.id, plan.start, plan.end, kind=plan.kind),
                ).id
        assert plan.id is not None
        for act in plan.acts:
            yield act.at
            if act.trigger == "insure":
                assert act.comment is not None
                record_insurance(self.db, act.actor, plan.id, act.comment)
            elif act.trigger == "renew":
                assert plan.successor is not None
                plan.successor.id = renew_contract(self.db, act.actor, plan.id).id
                self.replay.start(self.contract_case(plan.successor))
            elif act.trigger == "terminate":
                terminate_contract(self.db, act.actor, plan.id, act.comment, terminated_on=act.at.date())
            else:
                transition(self.db, "contract", plan.id, act.trigger, act.actor, comment=act.comment)
