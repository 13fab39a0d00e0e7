"""The demo's claims replayed: filed (one by one or in a list), verified, reviewed, returned,
resubmitted, and paid the only way money moves, through a payout batch.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from store.claims import ClaimInput, file_claim, resubmit_claim
from store.models import Contract
from store.payouts import close_batch, confirm_paid, create_batch
from store.transitions import transition
from workflow.dates import add_months
from workflow.rules import OtherClaim
from workflow.states import ClaimState, SubsidyType

from .claim_plans import ClaimPlanner
from .places import SEED
from .plans import Act, ClaimPlan

T = SubsidyType
S = ClaimState


class ClaimReplay(ClaimPlanner):
    """Files and moves the planned claims at their planned times."""

    def _input(self, claim: ClaimPlan) -> ClaimInput:
        contract_id = claim.contract.id if claim.contract else None
        return ClaimInput(claim.subsidy_type, claim.person.id, None, dict(claim.facts), contract_id)

    def claim_case(self, claim: ClaimPlan) -> Iterator[datetime]:
        yield claim.acts[0].at
        with self.db.transaction() as session:
            claim.id = file_claim(session, self.db, claim.acts[0].actor, self._input(claim)).id
        yield from self._claim_steps(claim)

    def list_case(self, claims: Sequence[ClaimPlan]) -> Iterator[datetime]:
        """A list filed in one go: each claim sees the rest of the list as already claimed."""
        yield claims[0].acts[0].at
        pending = [OtherClaim(c.subsidy_type, c.person.id, c.org.id, self.year, None) for c in claims]
        with self.db.transaction() as session:
            for i, claim in enumerate(claims):
                claim.id = file_claim(
                    session, self.db, claim.acts[0].actor, self._input(claim), extra_others=pending[i + 1 :]
                ).id
        for claim in claims:
            self.replay.start(self._claim_steps(claim))

    def _claim_steps(self, claim: ClaimPlan) -> Iterator[datetime]:
        assert claim.id is not None
        for act in claim.acts[1:]:
            yield act.at
            if act.trigger == "resubmit":
                resubmit_claim(self.db, act.actor, claim.id, dict(claim.facts))
            elif act.trigger == "pay":
                self._pay(claim.id, act)
            else:
                trigger = "return" if act.trigger == "hr_return" else act.trigger
                days = (
                    self._attendance(claim)
                    if trigger == "verify" and claim.subsidy_type == T.PUBLIC_WELFARE_POST
                    else None
                )
                transition(
                    self.db, "claim", claim.id, trigger, act.actor, comment=act.comment, attendance_days=days
                )

    def _attendance(self, claim: ClaimPlan) -> int:
        """The days on the post a village confirms: mostly every working day the contract
        covers in the month, now and then a few fewer (its own generator, so the replay's
        order does not change the rest of the demo)."""
        assert claim.contract is not None and claim.month is not None
        covered = self.covered(claim.contract, claim.month)
        missed = random.Random(f"{SEED}:{claim.person.id}:{claim.month}").choice((0, 0, 0, 1, 2))
        return max(1, covered - missed)

    def _pay(self, claim_id: int, act: Act) -> None:
        """Paid the only way money moves: a payout batch, confirmed with the bank's serial
        number (the demo pays each such claim in a batch of its own, then closes it)."""
        assert act.comment is not None
        batch = create_batch(self.db, act.actor, [claim_id])
        serial = act.comment.rsplit(" ", 1)[-1]
        [outcome] = confirm_paid(self.db, act.actor, batch.id, serial, act.at.date())
        assert outcome.outcome == "paid", outcome
        close_batch(self.db, act.actor, batch.id)

    def post_claims_mark(self) -> None:
        """The months the demo's own post-subsidy claims stand for count as opened, up to the
        month before last; the sweep then opens last month's as it would have on the 1st."""
        first = self.time.today.replace(day=1)
        mark = add_months(first, -1) - timedelta(days=1)
        with self.db.transaction() as session:
            for contract in session.scalars(
                select(Contract).where(Contract.state.in_(("active", "expired", "terminated")))
            ):
                contract.subsidy_through = max(
                    min(contract.end_date, mark), contract.start_date - timedelta(days=1)
                )
