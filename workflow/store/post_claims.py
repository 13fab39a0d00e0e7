"""在岗领补 in the store: what the post rule reads (the contract, the month's working days on the
calendar in force) and the steps that confirm the days on the post (出勤天数).

A 公益性岗位补贴 claim is verified only with the days the village confirms, and approved only
if the rule still holds (a termination recorded since may have cut the month short).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .. import engine
from ..calendar import WorkCalendar
from ..errors import DomainError, ValidationFailed
from ..machines import CLAIM
from ..roles import Actor
from ..rules import ContractFacts
from ..rules.facts import facts_from_record, facts_to_record
from ..rules.post_days import month_bounds
from ..states import SubsidyType
from .db import Database
from .models import Claim, Contract

POST = SubsidyType.PUBLIC_WELFARE_POST
# The claim steps that evaluate the post rule again: verify with the days, approve as it stands.
CHECKED_STEPS = ("verify", "approve")
CONTRACT_COLUMNS = (
    Contract.id,
    Contract.person_id,
    Contract.state,
    Contract.start_date,
    Contract.end_date,
    Contract.monthly_subsidy,
    Contract.terminated_on,
)


def contract_facts(row: Any) -> ContractFacts:
    """A contract row (ORM or the ``CONTRACT_COLUMNS`` of a query) as the rules read it."""
    return ContractFacts(
        row.id, row.person_id, row.state, row.start_date, row.end_date, row.monthly_subsidy, row.terminated_on
    )


def month_workdays(
    cal: WorkCalendar,
    subsidy_type: str,
    month: str | None,
) -> tuple[date, ...] | None:
    """The working days of a post claim's month; None for other types or an unreadable month
    (the rule then names the field)."""
    if subsidy_type != POST:
        return None
    try:
        first, last = month_bounds(month)
    except DomainError:
        return None
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(d for d in days if cal.is_workday(d))


def take_step(
    db: Database,
    claim_id: int,
    trigger: str,
    actor: Actor,
    comment: str | None,
    expected_version: int | None,
    attendance_days: object,
) -> Claim:
    """Verify (with the 出勤天数) or approve a post claim: the rule is evaluated again and the
    amount it gives is stored, all in the step's transaction."""
    from .claims import ClaimInput, assess
    from .policy import version_in_force
    from .transitions import apply, one_step

    with one_step(db, Claim, claim_id, expected_version) as (session, claim):
        # Who may act is said before what is missing.
        engine.check(CLAIM, claim, trigger, actor, db.clock.now(), comment)
        facts = dict(claim.facts)
        note = comment
        if trigger == "verify":
            days = _days(attendance_days)
            facts["attendance_days"] = days
            note = f"核实出勤{days}天" + (f"；{comment.strip()}" if comment and comment.strip() else "")
        elif facts.get("attendance_days") is None:
            # Verified before the days were asked for (claims older than this rule).
            raise ValidationFailed(
                "validation.required",
                "该申请未经村级核实“出勤天数”，请退回村级核实后再审核",
                field="attendance_days",
            )
        inp = ClaimInput(
            claim.subsidy_type, claim.person_id, claim.policy_year, facts, claim.contract_id, claim.batch_ref
        )
        draft, outcome = assess(session, db, inp, claim.claimant, exclude_id=claim.id)
        apply(session, db, "claim", claim, trigger, actor, note)
        claim.facts = facts_to_record(draft.facts)
        claim.amount, claim.rule = outcome.amount, outcome.rule
        claim.rule_explanation = outcome.explanation
        claim.params_version_id = version_in_force(session, claim.policy_year)  # computed now
    return claim


def _days(raw: object) -> int:
    if raw is None or str(raw).strip() == "":
        raise ValidationFailed(
            "validation.required", "核实公益性岗位补贴须填写当月“出勤天数”", field="attendance_days"
        )
    days = facts_from_record({"attendance_days": raw}).attendance_days
    assert days is not None
    return days
