"""Who claims what in the demo county: the people each subsidy type goes to, through which
organisation, ending in which state, and the monthly post claims of the active contracts.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from workflow.dates import add_months
from workflow.states import ClaimState, SubsidyType

from .claim_plans import ClaimPlanner
from .plans import ClaimPlan, ContractPlan, OrgRow, PersonRow
from .scenarios import LISTS, MIX, MIX_STATES

T = SubsidyType
S = ClaimState


class ClaimMix(ClaimPlanner):
    """Plans every claim of the demo county."""

    def plan_claims(self) -> tuple[list[ClaimPlan], list[list[ClaimPlan]]]:
        rng, orgs = self.rng, self.orgs
        free = [p for p in self.persons if p.groups and p.id not in self.holders and p is not self.self_filer]
        rng.shuffle(free)
        pool = iter(free)

        def take(n: int) -> list[PersonRow]:
            return [next(pool) for _ in range(n)]

        def states(subsidy_type: str) -> list[str]:
            out = [s for s, n in zip(MIX_STATES, MIX[subsidy_type], strict=True) for _ in range(n)]
            rng.shuffle(out)
            return out

        def committee_or(p: PersonRow, *keys: str) -> OrgRow:
            if p.village.id in self.committees and rng.random() < 0.7:
                return self.committees[p.village.id]
            return orgs[rng.choice(keys)]

        claims: list[ClaimPlan] = []
        # Transport subsidy and migrant work reward exclude each other: different people.
        outbound = [(T.TRANSPORT_SUBSIDY, s) for s in states(T.TRANSPORT_SUBSIDY)] + [
            (T.MIGRANT_WORK_REWARD, s) for s in states(T.MIGRANT_WORK_REWARD)
        ]
        migrants = take(len(outbound))
        for p, (kind, s) in zip(migrants, outbound, strict=True):
            claims.append(self.claim(kind, p, committee_or(p, "broker1", "broker2", "agency1"), s))
        les = states(T.LABOUR_EXPORT_SERVICE)
        for p, s in zip(rng.sample(migrants, len(les)), les, strict=True):
            org = committee_or(p, "agency1", "broker1", "broker2")
            claims.append(self.claim(T.LABOUR_EXPORT_SERVICE, p, org, s))
        base_of: dict[int, OrgRow] = {}
        for p, s in zip(
            take(sum(MIX[T.EMPLOYMENT_BASE_REWARD])), states(T.EMPLOYMENT_BASE_REWARD), strict=True
        ):
            base_of[p.id] = orgs[rng.choice(("base1", "base2"))]
            claims.append(self.claim(T.EMPLOYMENT_BASE_REWARD, p, base_of[p.id], s))
        lists: list[list[ClaimPlan]] = []
        employer: dict[int, OrgRow] = {}
        for subsidy_type, key in ((T.STARTUP_SUBSIDY, "startup1"), (T.WORKSHOP_REWARD, "workshop1")):
            for ago, list_states in zip(((58, 66), (3, 8)), LISTS[subsidy_type], strict=True):
                people = take(len(list_states))
                employer.update((p.id, orgs[key]) for p in people)
                lists.append(self.claim_list(subsidy_type, people, orgs[key], list_states, ago))
        employed = [p for p in free if p.id in employer or p.id in base_of]
        wft = rng.sample(employed, 11) + take(4)
        for p, s in zip(wft, states(T.WORK_FOR_TRAINING), strict=True):
            org = employer.get(p.id) or base_of.get(p.id) or orgs["company1"]
            claims.append(self.claim(T.WORK_FOR_TRAINING, p, org, s))
        for p, s in zip(
            rng.sample(free, sum(MIX[T.TRAINING_ALLOWANCE])), states(T.TRAINING_ALLOWANCE), strict=True
        ):
            claims.append(self.claim(T.TRAINING_ALLOWANCE, p, committee_or(p, "agency1"), s))
        me = self.self_filer
        claims += [
            self.claim(T.TRAINING_ALLOWANCE, me, orgs["self1"], S.FINANCE_PAID),
            self.claim(T.TRANSPORT_SUBSIDY, me, orgs["self1"], S.VILLAGE_VERIFIED),
        ]
        claims += self._plan_post_claims()
        self.facts(claims + [c for batch in lists for c in batch])
        return claims, lists

    def _plan_post_claims(self) -> list[ClaimPlan]:
        """Monthly 在岗领补 claims for the last months each active contract covered."""
        rng, t = self.rng, self.time
        latest = (t.today - timedelta(days=15)).replace(day=1) - relativedelta(months=1)
        wanted: list[tuple[ContractPlan, date, str]] = []
        for plan in self.all_contracts():
            activated = plan.act_at("activate")
            if activated is None or plan.post.village.id not in self.committees:
                continue
            for back in range(3):
                month = latest - relativedelta(months=back)
                if month <= plan.last_day and add_months(month, 1) > plan.start:
                    state = (
                        rng.choices(
                            (S.FINANCE_PAID, S.HR_REVIEWED, S.VILLAGE_VERIFIED, S.SUBMITTED), (40, 25, 20, 15)
                        )[0]
                        if back == 0
                        else S.FINANCE_PAID
                    )
                    wanted.append((plan, month, state))
        claims = [c for c in (self.post_claim(*w) for w in wanted) if c is not None]
        # Every state at least once: a paid or reviewed month becomes a side exit instead.
        for state, back in (
            (S.EXPIRED, 1),
            (S.REJECTED, 1),
            (S.WITHDRAWN, 0),
            (S.RETURNED, 0),
            (S.SUBMITTED, 0),
            (S.VILLAGE_VERIFIED, 0),
            (S.HR_REVIEWED, 0),
            (S.FINANCE_PAID, 1),
        ):
            if any(c.state == state for c in claims):
                continue
            month = latest - relativedelta(months=back)
            for i, c in enumerate(claims):
                if (
                    c.month == month
                    and c.state in (S.FINANCE_PAID, S.HR_REVIEWED)
                    and sum(x.state == c.state for x in claims) > 1
                    and c.contract
                ):
                    instead = self.post_claim(c.contract, month, state)
                    if instead is not None:
                        claims[i] = instead
                        break
            else:
                raise RuntimeError(f"demo: no month left for a {state} 公益性岗位 claim")
        return claims
