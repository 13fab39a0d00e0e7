"""A planned claim: its acts (who does what when, with which comment), claims filed in a list,
the monthly post-subsidy claim of a contract, and the facts each claim states.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from store.claims import month_workdays
from workflow.dates import add_months, month_key, months_completed
from workflow.roles import SYSTEM_ACTOR
from workflow.states import ClaimState, SubsidyType

from .places import COURSES
from .plans import Act, ClaimPlan, ContractPlan, OrgRow, PersonRow
from .scenarios import COMMENTS, EMPLOYMENT_MONTHS, FILED_AGO, GAPS, PATHS, PWP_COMMENTS, PWP_GAPS
from .state import LoaderState

T = SubsidyType
S = ClaimState


class ClaimPlanner(LoaderState):
    """Plans single claims, lists and monthly post claims, and fills in their facts."""

    def acts(
        self,
        path: Sequence[str],
        times: Sequence[datetime],
        person: PersonRow,
        org: OrgRow,
        comments: dict[str, tuple[str | None, ...]] = COMMENTS,
    ) -> list[Act]:
        rng = self.rng
        assert org.agent is not None and self.finance is not None
        acts = []
        for step, at in zip(path, times, strict=True):
            if step in ("submit", "withdraw", "resubmit"):
                actor = org.agent
            elif step in ("verify", "return"):
                # Nobody of the filing organisation verifies its claims (a committee's own officer).
                actor = rng.choice(
                    [a for a in self.verifiers[person.village.id] if a.org_id != org.agent.org_id]
                )
            elif step == "pay":
                actor = self.finance
            elif step == "expire":
                actor = SYSTEM_ACTOR
            else:
                actor = rng.choice(self.hr)
            comment = rng.choice(comments.get(step) or COMMENTS.get(step) or (None,))
            if step == "pay":
                comment = f"已发放，银行回单号 {at:%Y%m%d}{next(self.counter):06d}"
            acts.append(Act(step, at, actor, comment))
        return acts

    def claim(self, subsidy_type: str, person: PersonRow, org: OrgRow, state: str) -> ClaimPlan:
        path = self.rng.choice(PATHS[state])
        times = self.time.plan(self.time.ago(*FILED_AGO[state]), [GAPS[s] for s in path[1:]])
        assert times is not None
        return ClaimPlan(subsidy_type, person, org, state, self.acts(path, times, person, org))

    def claim_list(
        self,
        subsidy_type: str,
        people: Sequence[PersonRow],
        org: OrgRow,
        states: Sequence[str],
        ago: tuple[int, int],
    ) -> list[ClaimPlan]:
        """Claims filed together in one list, early enough for each to reach its state."""
        filed = self.time.at(self.time.ago(*ago), back=True)
        while True:
            claims = [
                self._listed(subsidy_type, p, org, s, filed) for p, s in zip(people, states, strict=True)
            ]
            if all(c is not None for c in claims):
                return [c for c in claims if c is not None]
            filed = self.time.at(filed.date() - timedelta(days=2), back=True)

    def _listed(
        self, subsidy_type: str, person: PersonRow, org: OrgRow, state: str, filed: datetime
    ) -> ClaimPlan | None:
        """A claim filed in a list at ``filed``; a returned one was returned in the last days."""
        t = self.time
        path = PATHS[S.RETURNED][1] if state == S.RETURNED else self.rng.choice(PATHS[state])
        times = [filed]
        for step in path[1:]:
            if state == S.RETURNED and step == "hr_return":
                times.append(max(t.at(t.ago(2, 10), back=True), t.later(times[-1], 1, 2)))
            else:
                times.append(t.after(times[-1], GAPS[step]))
        if times[-1] > t.limit:
            return None
        return ClaimPlan(subsidy_type, person, org, state, self.acts(path, times, person, org))

    def post_claim(self, plan: ContractPlan, month: date, state: str) -> ClaimPlan | None:
        t = self.time
        month_end = add_months(month, 1) - timedelta(days=1)
        filed = t.cal.add_working_days(month_end, self.rng.randint(1, 4))
        recent_ago: dict[str, tuple[int, int]] = {
            S.SUBMITTED: (0, 5),
            S.VILLAGE_VERIFIED: (3, 10),
            S.RETURNED: (3, 15),
        }
        recent = recent_ago.get(state)
        if recent:
            filed = max(filed, t.ago(*recent))
        path = self.rng.choice(PATHS[state])
        times = t.plan(filed, [PWP_GAPS[s] for s in path[1:]], floor=month)
        activated = plan.act_at("activate")
        if times is None or activated is None or times[0] <= activated:
            return None
        if self.covered(plan, month) == 0:  # no working day of the month on the post
            return None
        person, org = plan.person, self.committees[plan.post.village.id]
        return ClaimPlan(
            T.PUBLIC_WELFARE_POST,
            person,
            org,
            state,
            self.acts(path, times, person, org, PWP_COMMENTS),
            plan,
            month,
        )

    def all_contracts(self) -> Iterator[ContractPlan]:
        for plan in self.contracts:
            yield plan
            if plan.successor:
                yield plan.successor

    def facts(self, claims: Sequence[ClaimPlan]) -> None:
        rng = self.rng
        employed_since: dict[int, date] = {}
        for c in claims:
            if months := EMPLOYMENT_MONTHS.get(c.subsidy_type):
                latest = add_months(c.acts[0].at.date(), -months)
                employed_since[c.person.id] = min(employed_since.get(c.person.id, latest), latest)
        since = {
            pid: day - timedelta(days=rng.randint(3, 100)) for pid, day in sorted(employed_since.items())
        }
        destination = {
            p.id: rng.choices(("out_of_province", "in_province"), (65, 35))[0] for p in self.persons
        }
        course = {p.id: rng.choice(COURSES) for p in self.persons}
        for c in claims:
            pid, filed = c.person.id, c.acts[0].at.date()
            if c.subsidy_type in EMPLOYMENT_MONTHS:
                c.facts["employment_start"] = since[pid].isoformat()
            if c.subsidy_type in (T.LABOUR_EXPORT_SERVICE, T.TRANSPORT_SUBSIDY, T.MIGRANT_WORK_REWARD):
                c.facts["destination"] = destination[pid]
            if c.subsidy_type == T.TRANSPORT_SUBSIDY:
                far = destination[pid] == "out_of_province"
                c.facts["fare"] = str(rng.randrange(600, 1500, 10) if far else rng.randrange(120, 620, 10))
            elif c.subsidy_type in (T.STARTUP_SUBSIDY, T.WORKSHOP_REWARD):
                months = max(1, months_completed(since[pid], filed))
                c.facts["wages_paid"] = str(rng.randrange(2600, 4200, 100) * months)
                if c.subsidy_type == T.STARTUP_SUBSIDY:
                    c.facts["operating_normally"] = True
            elif c.subsidy_type == T.WORK_FOR_TRAINING:
                months = rng.randint(1, 6)
                c.facts["training_months"] = months
                c.facts["employment_start"] = (
                    add_months(filed, -months) - timedelta(days=rng.randint(0, 20))
                ).isoformat()
            elif c.subsidy_type == T.TRAINING_ALLOWANCE:
                c.facts.update(
                    course_id=course[pid][0],
                    # A long course (40 days, above the ordinary 1,600 元): awaiting a second reviewer.
                    course_days=40 if c.state == S.HR_FIRST_REVIEWED else course[pid][1],
                    course_end=(filed - timedelta(days=rng.randint(1, 30))).isoformat(),
                    course_completed=True,
                )
            elif c.subsidy_type == T.PUBLIC_WELFARE_POST:
                assert c.month is not None
                c.facts["month"] = month_key(c.month)

    def covered(self, plan: ContractPlan, month: date) -> int:
        workdays = month_workdays(self.time.cal, T.PUBLIC_WELFARE_POST, month_key(month))
        return sum(plan.start <= d <= plan.last_day for d in workdays or ())
