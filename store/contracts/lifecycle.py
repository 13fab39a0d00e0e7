"""Posts and their contracts: proposing, recording insurance, renewing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from workflow.dates import max_term_end
from workflow.errors import NotFound, RuleViolation, TransitionRefused, ValidationFailed
from workflow.machines import CONTRACT
from workflow.money import yuan
from workflow.roles import Actor
from workflow.states import ContractState

from ..db import Database
from ..models import Contract, Post
from ..opening import opening, record_opening
from ..people.persons import get_person
from ..step_services import StepCall, register
from ..transitions import apply, one_step

# Contracts that hold a place on their post.
HOLDING = (
    ContractState.SUBMITTED,
    ContractState.VILLAGE_VERIFIED,
    ContractState.HR_REVIEWED,
    ContractState.ACTIVE,
    ContractState.RETURNED,
)


@dataclass(frozen=True)
class ContractInput:
    post_id: int
    person_id: int
    start_date: date
    end_date: date
    monthly_subsidy: Decimal | None = None  # the post's, unless given
    kind: str = "service_agreement"  # or labour_contract


def check_term(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed("validation.term", "协议结束日期不能早于开始日期", field="end_date")
    if end > max_term_end(start):
        raise RuleViolation(
            "rule.term_over_one_year",
            f"协议每次签订期限不得超过1年（最晚至{max_term_end(start).isoformat()}）",
            latest_end=max_term_end(start).isoformat(),
        )


def propose_contract(
    session: Session, db: Database, actor: Actor, inp: ContractInput, predecessor: Contract | None = None
) -> Contract:
    if CONTRACT.creation_for(actor.roles) is None:
        raise TransitionRefused("transition.not_your_role", "公益性岗位协议由县人社局拟定")
    if inp.kind not in ("service_agreement", "labour_contract"):
        raise ValidationFailed("validation.contract_kind", "协议类型须为劳务协议或劳动合同", field="kind")
    check_term(inp.start_date, inp.end_date)
    # Locked: the places counted below stay as read until this contract is in (an edit of the
    # post, or another proposal for its last place, waits; ``post_edits`` locks it too).
    post = session.get(Post, inp.post_id, with_for_update=True)
    if post is None:
        raise ValidationFailed("validation.post", "岗位不存在", field="post_id")
    person = get_person(session, inp.person_id)
    if person.village_id != post.village_id:
        raise RuleViolation("rule.post_outside_village", "公益性岗位须安置本村人员")

    def holding_in_term(whose: ColumnElement[bool]) -> int:
        """Contracts that hold a place during the new term, the one it renews left out."""
        return (
            session.scalar(
                select(func.count())
                .select_from(Contract)
                .where(
                    whose,
                    Contract.state.in_([s.value for s in HOLDING]),
                    Contract.start_date <= inp.end_date,
                    Contract.end_date >= inp.start_date,
                    Contract.id != (predecessor.id if predecessor else -1),
                )
            )
            or 0
        )

    taken = holding_in_term(Contract.post_id == post.id)
    if taken and taken >= post.places:
        raise RuleViolation("rule.post_full", f"该岗位共{post.places}个名额，协议期内已满")
    if inp.monthly_subsidy is not None and inp.monthly_subsidy < 0:
        raise ValidationFailed("validation.negative_amount", "月岗位补贴不能为负数", field="monthly_subsidy")
    overlapping = holding_in_term(Contract.person_id == person.id)
    if overlapping:
        raise RuleViolation("rule.person_already_on_post", "该人员在此期间已有公益性岗位协议")
    opened = opening(db, session, "contract", actor, db.clock.now(), "续签" if predecessor else None)
    contract = Contract(
        post_id=post.id,
        person_id=person.id,
        village_id=post.village_id,
        kind=inp.kind,
        start_date=inp.start_date,
        end_date=inp.end_date,
        monthly_subsidy=yuan(
            inp.monthly_subsidy if inp.monthly_subsidy is not None else post.monthly_subsidy
        ),
        predecessor_id=predecessor.id if predecessor else None,
        **opened.case_values(),
        submitted_by=actor.user_id,
        created_at=opened.step.at,
        updated_at=opened.step.at,
    )
    session.add(contract)
    session.flush()
    record_opening(session, contract, opened)
    return contract


def record_insurance(
    db: Database, actor: Actor, contract_id: int, policy_no: str, expected_version: int | None = None
) -> Contract:
    """Record the accident-insurance policy (意外伤害商业保险) that activation requires."""
    policy_no = policy_no.strip()
    if not policy_no:
        raise ValidationFailed("validation.required", "缺少“保单号”", field="insurance_policy_no")
    if len(policy_no) > 40:
        raise ValidationFailed("validation.too_long", "保单号不能超过40个字符", field="insurance_policy_no")
    with one_step(db, Contract, contract_id, expected_version) as (session, contract):
        apply(session, db, "contract", contract, "record_insurance", actor, f"保单号 {policy_no}")
        contract.insurance_policy_no = policy_no
    return contract


def terminate_contract(
    db: Database,
    actor: Actor,
    contract_id: int,
    reason: str | None,
    expected_version: int | None = None,
    terminated_on: date | None = None,
) -> Contract:
    """End an active contract early (有序退岗) as of its last day on the post; the reason goes
    on the contract and in history, and no month after that day can be claimed."""
    with one_step(db, Contract, contract_id, expected_version) as (session, contract):
        today = db.clock.now().date()
        apply(session, db, "contract", contract, "terminate", actor, reason)
        contract.terminated_on = check_terminated_on(contract, terminated_on, today)
        contract.end_reason = reason.strip() if reason else None
    return contract


def check_terminated_on(contract: Contract, day: date | None, today: date) -> date:
    """The 退岗日期 is the last day on the post, within the term and not after today. The step
    ends the contract now and frees its place, so a day to come would let a successor overlap
    days still paid here: a notice (乙方提前十五日申请) is recorded when it takes effect. An
    earlier day is allowed: villages often report a departure after it happened, and the
    months after it are then refused even if they were already opened. A holder who leaves
    before the start never served: the day before the start says so."""
    label = "退岗日期（最后在岗日）"
    if day is None:
        raise ValidationFailed("validation.required", f"有序退岗须填写“{label}”", field="terminated_on")
    never_served = contract.start_date - timedelta(days=1)
    if day < never_served:
        raise ValidationFailed(
            "validation.terminated_on_before_start",
            f"“{label}”不能早于协议开始日期{contract.start_date.isoformat()}"
            f"（未到岗即退岗的，填开始前一日{never_served.isoformat()}）",
            field="terminated_on",
            earliest=never_served.isoformat(),
        )
    latest = latest_termination(contract, today)
    if day > latest:
        raise ValidationFailed(
            "validation.terminated_on_too_late",
            f"“{label}”不能晚于{latest.isoformat()}"
            f"（{'协议结束日期' if latest == contract.end_date else '今天'}）",
            field="terminated_on",
            latest=latest.isoformat(),
        )
    return day


def latest_termination(contract: Contract, today: date) -> date:
    """The latest 退岗日期 the contract can take today (the page offers it)."""
    return max(min(contract.end_date, today), contract.start_date - timedelta(days=1))


def renew_contract(
    db: Database,
    actor: Actor,
    contract_id: int,
    end_date: date | None = None,
    expected_version: int | None = None,
) -> Contract:
    """Propose the successor: same person and post, from the day after, at most a year, at the
    post's monthly subsidy of the day (a renewal is a new agreement: ``post_edits``)."""
    with one_step(db, Contract, contract_id, expected_version) as (session, old):
        start = old.end_date + timedelta(days=1)
        end = end_date or max_term_end(start)
        apply(session, db, "contract", old, "renew", actor)
        successor = propose_contract(
            session,
            db,
            actor,
            ContractInput(old.post_id, old.person_id, start, end, kind=old.kind),
            predecessor=old,
        )
        old.successor_id = successor.id
    return successor


def get_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("not_found.contract", "未找到该协议", id=contract_id)
    return contract


# Contract steps that write more than the state: ``transition`` hands them to these, so each
# is taken the same way from a page, the API or a test. Termination needs its date, which
# only ``terminate_contract`` takes: through ``transition`` it is refused naming the field.
def _renew_step(call: StepCall) -> Contract | None:
    renew_contract(call.db, call.actor, call.case_id, expected_version=call.expected_version)
    with call.db.sessions() as session:
        return session.get(Contract, call.case_id)  # the renewed contract, not its successor


def _terminate_step(call: StepCall) -> Contract:
    return terminate_contract(call.db, call.actor, call.case_id, call.comment, call.expected_version)


def _record_insurance_step(call: StepCall) -> Contract:
    return record_insurance(call.db, call.actor, call.case_id, call.comment or "", call.expected_version)


register("contract", "renew", _renew_step)
register("contract", "terminate", _terminate_step)
register("contract", "record_insurance", _record_insurance_step)
