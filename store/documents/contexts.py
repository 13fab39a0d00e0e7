"""What each document shows, read from the case: the contexts of the approval form, the
contract, the renewal notice and the rejection notice, and the lines of a payout roster."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from workflow.identity import sex as sex_of
from workflow.labour import age_on
from workflow.machines import CLAIM
from workflow.roles import ROLE_LABELS
from workflow.rules.facts import FACT_LABELS
from workflow.rules.figures import BUREAU_MARK
from workflow.rules.post_days import RULE_TEXT as POST_SUBSIDY_RULE
from workflow.states import DESTINATION_LABELS, STATE_LABELS, SUBSIDY_LABELS, TARGET_GROUP_LABELS

from ..db import Database
from ..models import Claim, ClaimHistory, Contract, ContractHistory, Organisation, Person
from ..policy.versions import claim_figures

ISSUER = "德钦县人力资源和社会保障局"
# History rows keep the role as a plain string; a role no longer defined shows as itself.
ROLE_TEXT = {role.value: label for role, label in ROLE_LABELS.items()}
RENEWAL_REPLY_DAYS = 7
# Only an approved claim has an approved amount (核定金额): the form of any other says why not.
APPROVED_STATES = frozenset({"hr_reviewed", "finance_paid"})
UNAPPROVED_AMOUNT_NOTES = {
    "rejected": "不予批准，无核定金额",
    "withdrawn": "申请已撤回，无核定金额",
    "expired": "逾期未重新提交，无核定金额",
}
PENDING_AMOUNT_NOTE = "尚未审核，暂无核定金额（按规则测算 ¥{computed}，以审核结果为准）"


def _person(db: Database, p: Person, on: date) -> dict[str, Any]:
    """The person as a document shows them: the number masked by the template and the age on
    ``on`` (the case's own date, so the document does not change with the calendar), never the
    birth date, which beside the masked number and village would complete it."""
    id_number = db.vault.decrypt(p.id_number_enc)
    return {
        "name": p.name,
        "id_number": id_number,
        "sex": p.sex or sex_of(id_number),
        "age": age_on(p.birth_date, on),
        "village": p.village.name,
        "groups": "、".join(TARGET_GROUP_LABELS.get(g, g) for g in sorted(p.target_group_set)),
        "phone": p.phone or "",
        "bank_account": db.vault.decrypt(p.bank_account_enc) if p.bank_account_enc else "",
    }


def _fact(name: str, value: object) -> tuple[str, str]:
    label = FACT_LABELS.get(name, name)
    if name == "destination":
        return label, DESTINATION_LABELS.get(str(value), str(value))
    if isinstance(value, bool):
        return label, "是" if value else "否"
    return label, str(value)


def _steps(rows: Sequence[ClaimHistory | ContractHistory], workflow: Any) -> list[dict[str, Any]]:
    steps = []
    for h in rows:
        step = workflow.step_for(h.trigger, h.from_state) if h.from_state else None
        label = step.label if step else ("提交申请" if h.trigger == "submit" else h.trigger)
        steps.append(
            {
                "label": label,
                "actor": h.actor_name,
                "role": ROLE_TEXT.get(h.role, h.role),
                "at": h.at,
                "comment": h.comment,
            }
        )
    return steps


def approval_form_context(db: Database, claim_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        history = s.scalars(
            select(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id)
            .order_by(ClaimHistory.at, ClaimHistory.id)
        ).all()
        return {
            "issuer": ISSUER,
            "person": _person(db, claim.person, claim.created_at.date()),
            "claim": {
                "ref": f"SQ{claim.policy_year}-{claim.id:06d}",
                "subsidy": SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
                "policy_year": claim.policy_year,
                "claimant": claim.claimant.name,
                "facts": [_fact(k, v) for k, v in claim.facts.items()],
                "rule": claim.rule,
                "rule_explanation": claim.rule_explanation,
                "amount": claim.amount if claim.state in APPROVED_STATES else None,
                "amount_note": _amount_note(claim),
                "state": STATE_LABELS.get(claim.state, claim.state),
            },
            "steps": _steps(history, CLAIM),
            # A large amount was approved by two HR reviewers: the form has a box for each.
            "countersigned": any(h.trigger == "approve_large" for h in history),
            # The figures of the claim's own parameter set, whatever the year's are now.
            "figures": claim_figures(s, claim.params_version_id, claim.subsidy_type),
            "bureau_mark": BUREAU_MARK,
        }


def _amount_note(claim: Claim) -> str:
    """Why the form shows no approved amount (empty for an approved claim)."""
    if claim.state in APPROVED_STATES:
        return ""
    return UNAPPROVED_AMOUNT_NOTES.get(claim.state) or PENDING_AMOUNT_NOTE.format(
        computed=f"{claim.amount:,.2f}"
    )


def contract_context(db: Database, contract_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        c = s.get_one(Contract, contract_id)
        village = c.post.village.name
        return {
            "issuer": ISSUER,
            "employer": f"{c.post.village.township.name}{village}村民委员会",
            "person": _person(db, c.person, c.created_at.date()),
            "post": {"title": c.post.title, "village": village},
            "term": {
                "start": c.start_date,
                "end": c.end_date,
                "monthly": c.monthly_subsidy,
                "insurance_no": c.insurance_policy_no,
                # 第三条 prints the rule the subsidy is computed by (rules.post_days).
                "subsidy_rule": POST_SUBSIDY_RULE,
            },
        }


def renewal_notice_context(db: Database, contract_id: int, today: date | None = None) -> dict[str, Any]:
    context = contract_context(db, contract_id)
    today = today or db.clock.now().date()
    end = context["term"]["end"]
    context.update(
        days_left=max((end - today).days, 0),
        issued_on=today,
        reply_by=min(end, today + timedelta(days=RENEWAL_REPLY_DAYS)),
    )
    return context


def rejection_notice_context(db: Database, claim_id: int) -> dict[str, Any]:
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        refusal = s.scalars(
            select(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "reject")
            .order_by(ClaimHistory.at.desc(), ClaimHistory.id.desc())
            .limit(1)
        ).first()
        subsidy = SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type)
        return {
            "issuer": ISSUER,
            "addressee": claim.claimant.name,
            "applicant_text": f"你单位（人）为{claim.person.name}申请的{claim.policy_year}年度{subsidy}"
            f"（申请编号 SQ{claim.policy_year}-{claim.id:06d}），",
            "reviewer_role": ROLE_TEXT.get(refusal.role, refusal.role) if refusal else ISSUER,
            "reason": (refusal.comment if refusal and refusal.comment else "不符合补贴条件。"),
            "issued_on": (refusal.at if refusal else db.clock.now()).date(),
        }


def roster_lines(db: Database, claim_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One roster line per claim, the payee as the claim pays it (the person or the claimant),
    with who the payee is (``payee``), so the roster counts people, not lines: a person with
    two claims in the batch is one person on two lines."""
    with db.transaction() as s:
        claims = s.scalars(select(Claim).where(Claim.id.in_(claim_ids)).order_by(Claim.id)).all()
        lines = []
        for c in claims:
            payee: Person | Organisation = c.person if c.payee_kind == "person" else c.claimant
            account = db.vault.decrypt(payee.bank_account_enc) if payee.bank_account_enc else ""
            id_number = (
                db.vault.decrypt(c.person.id_number_enc)
                if isinstance(payee, Person)
                else (payee.credit_code or "")
            )
            lines.append(
                {
                    "name": payee.name,
                    "payee": f"{'person' if isinstance(payee, Person) else 'org'}:{payee.id}",
                    "id_number": id_number,
                    "bank_account": account,
                    "amount": c.amount,
                    "note": SUBSIDY_LABELS.get(c.subsidy_type, ""),
                }
            )
        return lines
