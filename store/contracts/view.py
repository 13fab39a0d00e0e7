"""What staff see of posts and contracts and the steps they take on them: the list, the post and
contract forms, the contract page. A contract outside a verifier's villages is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow import engine
from workflow.dates import max_term_end, parse_day
from workflow.errors import DomainError, NotFound, ValidationFailed
from workflow.identity import mask
from workflow.machines import CONTRACT, Step
from workflow.roles import Actor, sees_village

from ..claims.worklist import villages_of
from ..db import Database
from ..models import Contract, ContractHistory, Person, Post, Village
from ..notices import notifications
from ..transitions import transition
from .lifecycle import (
    ContractInput,
    latest_termination,
    propose_contract,
    record_insurance,
    renew_contract,
    terminate_contract,
)
from .posts import (
    ContractFilter,
    ContractPage,
    PostInput,
    VillagePosts,
    create_post,
    days_left,
    ending_within,
    holding_people,
    list_contracts,
    people_for_post,
    posts_by_village,
    renewals,
    visible_post,
)

POLICY_NO_MAX = 40  # contract.insurance_policy_no is VARCHAR(40)


def visible_contract(session: Session, actor: Actor, contract_id: int) -> Contract:
    """The contract with its person and post, if the staff member sees its village."""
    contract = session.scalar(
        select(Contract)
        .where(Contract.id == contract_id)
        .options(selectinload(Contract.person), selectinload(Contract.post).selectinload(Post.village))
    )
    if contract is None or not sees_village(actor, contract.village_id):
        raise NotFound("not_found.contract", "未找到该协议", id=contract_id)
    return contract


def contract_for_staff(db: Database, actor: Actor, contract_id: int) -> Contract:
    with db.transaction() as session:
        return visible_contract(session, actor, contract_id)


def villages_for(db: Database, actor: Actor) -> list[Village]:
    """The villages a staff member works in (all of them for county staff)."""
    with db.transaction() as session:
        return villages_of(session, actor)


@dataclass(frozen=True)
class ContractsIndex:
    posts: list[VillagePosts]
    contracts: ContractPage
    ending: list[Contract]
    villages: list[Village]
    today: date
    renewals: dict[int, str]  # a renewed contract's id → its renewal as the successor stands


def contracts_index(db: Database, actor: Actor, f: ContractFilter) -> ContractsIndex:
    today = db.clock.now().date()
    with db.transaction() as session:
        listed = list_contracts(session, actor, f)
        ending = ending_within(session, actor, today)
        return ContractsIndex(
            posts_by_village(session, actor, today, f.village_id),
            listed,
            ending,
            villages_of(session, actor),
            today,
            renewals(session, [*listed.rows, *ending]),
        )


def set_up_post(db: Database, actor: Actor, inp: PostInput) -> int:
    """HR sets up a post in a village: its id."""
    with db.transaction() as session:
        return create_post(session, actor, inp).id


def propose(db: Database, actor: Actor, inp: ContractInput) -> int:
    """HR proposes a contract on a post: its id."""
    with db.transaction() as session:
        return propose_contract(session, db, actor, inp).id


@dataclass(frozen=True)
class ContractView:
    contract: Contract
    id_masked: str
    history: list[ContractHistory]
    reminders: list[Any]
    actions: list[Step]
    now: datetime
    days_left: int | None
    renew_end: date  # the latest end a renewal may have
    latest_termination: date
    renewal: str | None  # the renewal as its successor stands (续签待审, 已续签, …), if renewed


def contract_page(db: Database, actor: Actor, contract_id: int) -> ContractView:
    now = db.clock.now()
    with db.transaction() as session:
        contract = visible_contract(session, actor, contract_id)
        history = list(
            session.scalars(
                select(ContractHistory)
                .where(ContractHistory.contract_id == contract_id)
                .order_by(ContractHistory.id)
            )
        )
        reminders = list(
            notifications.for_subject(session, "contract", contract_id, kinds=("renewal_reminder",))
        )
        renewal = renewals(session, [contract]).get(contract.id)
    return ContractView(
        contract=contract,
        id_masked=mask(db.vault.decrypt(contract.person.id_number_enc)),
        history=history,
        reminders=reminders,
        actions=engine.available(CONTRACT, contract, actor, now),
        now=now,
        days_left=days_left(contract, now.date()),
        renew_end=max_term_end(contract.end_date + timedelta(days=1)),
        latest_termination=latest_termination(contract, now.date()),
        renewal=renewal,
    )


@dataclass(frozen=True)
class ContractForm:
    post: Post
    people: list[Person]  # found by the search, and the one chosen before if not among them
    holding: set[int]  # of those, people already on a post from today on
    masked: dict[int, str]  # their ID numbers, masked
    chosen: str  # the person preselected: the one chosen before, or the only one found
    search_error: str | None
    today: date


def contract_form(db: Database, actor: Actor, post_id: int, q: str, chosen: str) -> ContractForm:
    """The contract form on a post: the post's village's people found by ``q``."""
    today = db.clock.now().date()
    search_error = None
    with db.transaction() as session:
        found = visible_post(session, actor, post_id)
        if found is None:
            raise NotFound("not_found.post", "未找到该岗位", id=post_id)
        try:
            people = people_for_post(session, db.vault, found, q)
        except DomainError as exc:
            people, search_error = [], exc.message
        if chosen.isdigit() and int(chosen) not in {p.id for p in people}:
            kept = session.get(Person, int(chosen))
            if kept is not None and kept.village_id == found.village_id:
                people.insert(0, kept)
        holding = holding_people(session, [p.id for p in people], today)
    if len(people) == 1 and not chosen:
        chosen = str(people[0].id)
    masked = {p.id: mask(db.vault.decrypt(p.id_number_enc)) for p in people}
    return ContractForm(found, people, holding, masked, chosen, search_error, today)


def take_contract_step(
    db: Database,
    actor: Actor,
    contract_id: int,
    trigger: str,
    expected_version: int | None = None,
    comment: str | None = None,
    policy_no: str = "",
    terminated_on: str | None = None,
    end_date: str | None = None,
) -> int:
    """A staff member's step on a contract they see; the id of the contract to show next (the
    successor after a renewal). Steps that carry a form go to their own service, which reads
    only its own fields (as typed: an empty day is none)."""
    contract_for_staff(db, actor, contract_id)
    if trigger == "record_insurance":
        if len(policy_no) > POLICY_NO_MAX:
            raise ValidationFailed(
                "validation.too_long", f"保单号不能超过{POLICY_NO_MAX}个字符", field="policy_no"
            )
        record_insurance(db, actor, contract_id, policy_no, expected_version)
    elif trigger == "terminate":
        day = parse_day(terminated_on, "terminated_on", "退岗日期") if terminated_on else None
        terminate_contract(db, actor, contract_id, comment, expected_version, terminated_on=day)
    elif trigger == "renew":
        end = parse_day(end_date, "end_date", "续签结束日期") if end_date else None
        return renew_contract(db, actor, contract_id, expected_version=expected_version, end_date=end).id
    else:
        transition(
            db, "contract", contract_id, trigger, actor, comment=comment, expected_version=expected_version
        )
    return contract_id
