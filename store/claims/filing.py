"""The plan's rules on a claim being filed or corrected: what they read, the one evaluation every
filing path goes through (``evaluated``), the columns of a new claim, and the corrections (a
returned claim resubmitted, a post claim's attendance). One claim is filed by ``filer``, a
list by ``list_filer``.

The year a claim falls in and that year's parameters are ``years``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from workflow import engine
from workflow.errors import NotFound, TransitionRefused, ValidationFailed
from workflow.guards import ABSORPTION_TYPES
from workflow.machines import CLAIM
from workflow.roles import Actor
from workflow.rules import ClaimantFacts, ClaimDraft, OtherClaim, PersonFacts, RuleOutcome, evaluate, payee_of
from workflow.rules.facts import facts_from_record, facts_to_record
from workflow.rules.years import YearFix
from workflow.states import CLAIM_DEAD_VALUES, SubsidyType

from .. import guard_inputs
from ..db import Database
from ..models import Claim, Contract, Organisation
from ..opening import Opening
from ..people.org_queries import claimant_facts
from ..people.persons import get_person
from ..policy.versions import version_in_force
from ..step_services import StepCall, register
from ..timerules import timecache
from ..transitions import apply, one_step
from .post_claims import CHECKED_STEPS, attendance_days, contract_facts, is_post_claim, month_workdays
from .years import all_params, load_params, year_of


@dataclass(frozen=True)
class ClaimInput:
    subsidy_type: str
    person_id: int
    policy_year: int | None  # None: the year the facts fix; a year sent must be that one
    facts: dict[str, Any] = field(default_factory=dict)
    contract_id: int | None = None
    batch_ref: str | None = None


# What a rule sees of another live claim (``OtherClaim``), column by column.
OTHER_CLAIM_COLUMNS = (
    Claim.subsidy_type,
    Claim.person_id,
    Claim.claimant_org_id,
    Claim.policy_year,
    Claim.dedupe_key,
    Claim.exclusion_key,
)
# Built once with bound values: building a statement costs more CPU than running it here.
_LIVE_OF_PERSON = select(*OTHER_CLAIM_COLUMNS).where(
    Claim.person_id == bindparam("person"),
    Claim.state.not_in(CLAIM_DEAD_VALUES),
    Claim.id != bindparam("exclude"),
)


def live_others(session: Session, person_id: int, exclude_id: int | None = None) -> list[OtherClaim]:
    """The person's own live claims (any claimant, any year): the duplicates and exclusions a
    rule must see."""
    rows = session.execute(_LIVE_OF_PERSON, {"person": person_id, "exclude": exclude_id or 0})
    return [OtherClaim(*row) for row in rows]


def _draft(
    session: Session,
    db: Database,
    inp: ClaimInput,
    person: PersonFacts,
    claimant: ClaimantFacts,
    today: date,
) -> tuple[ClaimDraft, YearFix]:
    if inp.subsidy_type not in SubsidyType.__members__.values():
        raise ValidationFailed(
            "validation.subsidy_type", f"未知的补贴类型“{inp.subsidy_type}”", field="subsidy_type"
        )
    facts = facts_from_record(inp.facts)
    fix = year_of(all_params(session), inp.subsidy_type, inp.policy_year, facts, today)
    contract = None
    if inp.contract_id is not None:
        row = session.get(Contract, inp.contract_id)
        # Another person's contract answers as one that does not exist: an agent learns
        # nothing of contracts it does not hold.
        if row is None or row.person_id != person.id:
            raise ValidationFailed("validation.contract", "协议不存在", field="contract_id")
        contract = contract_facts(row)
    return ClaimDraft(
        subsidy_type=inp.subsidy_type,
        policy_year=fix.year,
        person=person,
        claimant=claimant,
        facts=facts,
        contract=contract,
        month_workdays=month_workdays(timecache.calendar(db, session), inp.subsidy_type, facts.month),
    ), fix


def evaluated(
    session: Session,
    db: Database,
    inp: ClaimInput,
    person: PersonFacts,
    claimant: ClaimantFacts,
    others: Sequence[OtherClaim],
) -> tuple[ClaimDraft, RuleOutcome]:
    """Every rule of the plan on a claim as it would be filed now, given the person's live
    claims (``others``), storing nothing: the one evaluation every filing path goes through."""
    draft, fix = _draft(session, db, inp, person, claimant, db.clock.now().date())
    params = load_params(session, fix.year, fix.reason)
    if inp.subsidy_type in ABSORPTION_TYPES:
        named = {inp.person_id} | {
            o.person_id for o in others if o.claimant_id == claimant.id and o.subsidy_type == inp.subsidy_type
        }
        # Counted up to a bound (never below the threshold): shown in the explanation ("N人以上"
        # past it), decided again at approval; a business's thousands of claims are not read.
        elsewhere, capped = guard_inputs.persons_counted(
            session.connection(), claimant.id, inp.subsidy_type, params.absorption_min_persons, named
        )
        draft = replace(draft, absorbed_elsewhere=elsewhere, absorbed_capped=capped)
    return draft, evaluate(draft, params, others, db.clock.now().date())


def assess(
    session: Session, db: Database, inp: ClaimInput, claimant: Organisation, exclude_id: int | None = None
) -> tuple[ClaimDraft, RuleOutcome]:
    """The rules on a stored claim's corrected facts (``exclude_id``: the claim itself)."""
    person = get_person(session, inp.person_id)
    return evaluated(
        session,
        db,
        inp,
        PersonFacts(person.id, person.target_group_set),
        claimant_facts(claimant),
        live_others(session, inp.person_id, exclude_id),
    )


def require_filer(actor: Actor) -> int:
    """The organisation the actor files for. The table lets an agent file for their
    organisation (the sweep files for villages)."""
    if CLAIM.creation_for(actor.roles) is None or actor.org_id is None:
        raise TransitionRefused("transition.not_your_role", "只有申报主体经办人可以提交申请")
    return actor.org_id


def claimant_of(session: Session, actor: Actor) -> Organisation:
    org = session.get(Organisation, require_filer(actor))
    if org is None:
        raise NotFound("not_found.organisation", "申报单位不存在")
    return org


def claim_values(
    inp: ClaimInput,
    draft: ClaimDraft,
    outcome: RuleOutcome,
    *,
    claimant_id: int,
    village_id: int,
    opened: Opening,
    params_version_id: int | None,
) -> dict[str, Any]:
    """The columns of a newly submitted claim, whether filed alone, from a bulk list or by
    the sweep; its state and due time are the table's (``opened``)."""
    return dict(
        subsidy_type=inp.subsidy_type,
        person_id=inp.person_id,
        claimant_org_id=claimant_id,
        village_id=village_id,
        payee_kind=payee_of(inp.subsidy_type),
        policy_year=draft.policy_year,
        params_version_id=params_version_id,
        facts=facts_to_record(draft.facts),
        amount=outcome.amount,
        rule=outcome.rule,
        rule_explanation=outcome.explanation,
        dedupe_key=outcome.dedupe_key,
        exclusion_key=outcome.exclusion_key,
        contract_id=inp.contract_id,
        batch_ref=inp.batch_ref,
        **opened.case_values(),
        submitted_by=opened.actor.user_id,
        created_at=opened.step.at,
        updated_at=opened.step.at,
    )


def resubmit_claim(
    db: Database,
    actor: Actor,
    claim_id: int,
    facts: dict[str, Any] | None,
    expected_version: int | None = None,
    committed: Callable[[Any, int], None] | None = None,
) -> Claim:
    """Correct a returned claim's facts and send it back in; the rules are checked again.
    ``committed``: called in the step's transaction (an Idempotency-Key notes it there)."""
    with one_step(db, Claim, claim_id, expected_version) as (session, claim):
        if claim.claimant_org_id != actor.org_id:
            raise NotFound("not_found", "未找到该案件", id=claim_id)
        if facts is None:
            apply(session, db, "claim", claim, "resubmit", actor)
            if committed is not None:
                committed(session, claim.id)
            return claim
        # The corrected facts may fix another year (a corrected start date): it follows them.
        inp = ClaimInput(claim.subsidy_type, claim.person_id, None, facts, claim.contract_id, claim.batch_ref)
        draft, outcome = assess(session, db, inp, claim.claimant, exclude_id=claim.id)
        apply(session, db, "claim", claim, "resubmit", actor)
        claim.policy_year = draft.policy_year
        claim.facts = facts_to_record(draft.facts)
        claim.amount, claim.rule = outcome.amount, outcome.rule
        claim.params_version_id = version_in_force(session, claim.policy_year)
        claim.rule_explanation = outcome.explanation
        claim.dedupe_key, claim.exclusion_key = outcome.dedupe_key, outcome.exclusion_key
        if committed is not None:
            session.flush()
            committed(session, claim.id)
    return claim


def take_post_step(call: StepCall) -> Claim:
    """Verify (with the 出勤天数) or approve a post claim: the rule is evaluated again and the
    amount it gives is stored, all in the step's transaction."""
    db, trigger, comment = call.db, call.trigger, call.comment
    with one_step(db, Claim, call.case_id, call.expected_version) as (session, claim):
        # Who may act is said before what is missing.
        guard_inputs.supply_guard_inputs(session, "claim", claim)
        engine.check(CLAIM, claim, trigger, call.actor, db.clock.now(), comment)
        facts = dict(claim.facts)
        note = comment
        if trigger == "verify":
            days = attendance_days(call.attendance_days)
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
        apply(session, db, "claim", claim, trigger, call.actor, note)
        claim.facts = facts_to_record(draft.facts)
        claim.amount, claim.rule = outcome.amount, outcome.rule
        claim.rule_explanation = outcome.explanation
        claim.params_version_id = version_in_force(session, claim.policy_year)  # computed now
    return claim


# 在岗领补: verifying takes the days on the post, and the amount follows them.
for _trigger in CHECKED_STEPS:
    register("claim", _trigger, take_post_step, applies_to=is_post_claim)
