"""What a line of the search's results shows, read for one page of ids: a claim with where it is
("where is my subsidy?": its state, the step it waits for, by when, who holds it, and the payout
batch that pays or paid it), a contract with its post and term, a person with their village."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.machines import CLAIM, CONTRACT
from workflow.pii import Vault

from ..claims.holding import holder_join
from ..models import Claim, Contract, Organisation, Person, Post, User, Village
from ..payouts.models import PayoutBatch, PayoutLine


class ClaimResult(NamedTuple):
    id: int
    person_id: int
    name: str
    id_last4: str
    village: str
    subsidy_type: str
    amount: Decimal
    state: str
    due_at: datetime | None
    claimant: str
    batch_ref: str | None  # the bulk list it was filed in (L12)
    updated_at: datetime  # when it last moved: for a finished claim, when it ended
    holder: str | None  # who holds it (认领), if a hold is in force
    waiting_for: str | None  # the step it waits for (村级核实, 人社局审核, 财务发放, 重新提交)
    overdue: bool
    payout_batch: str | None  # the payout batch of its latest line (FK2026-0001)
    payout_status: str | None  # that line's: pending (awaiting the bank), paid, failed
    paid_on: date | None


class ContractResult(NamedTuple):
    id: int
    person_id: int
    name: str
    id_last4: str
    village: str
    post: str
    start_date: date
    end_date: date
    state: str
    waiting_for: str | None


class PersonResult(NamedTuple):
    id: int
    name: str
    id_last4: str
    village: str
    sex: str
    birth_year: int


def claim_results(session: Session, vault: Vault, ids: list[int], now: datetime) -> list[ClaimResult]:
    if not ids:
        return []
    q = (
        select(
            Claim.id,
            Person.id,
            Person.name,
            Person.id_number_enc,
            Village.name,
            Claim.subsidy_type,
            Claim.amount,
            Claim.state,
            Claim.due_at,
            Organisation.name,
            Claim.batch_ref,
            Claim.updated_at,
            User.display_name,
        )
        .join(Person, Person.id == Claim.person_id)
        .join(Village, Village.id == Claim.village_id)
        .join(Organisation, Organisation.id == Claim.claimant_org_id)
        .outerjoin(User, holder_join())
        .where(Claim.id.in_(ids))
    )
    found = {r[0]: r for r in session.execute(q)}
    lines: dict[int, tuple[str | None, str | None, date | None]] = {}
    payouts = (
        select(PayoutLine.claim_id, PayoutBatch.reference, PayoutLine.status, PayoutLine.paid_on)
        .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
        .where(PayoutLine.claim_id.in_(ids))
        .order_by(PayoutLine.id)
    )
    for line in session.execute(payouts):
        lines[line[0]] = (line[1], line[2], line[3])  # a later line supersedes a failed one
    results = []
    for claim_id in ids:
        if (r := found.get(claim_id)) is None:
            continue
        wait = CLAIM.waits.get(r.state)
        late = bool(wait and r.due_at and r.due_at < now)
        payout = lines.get(claim_id, (None, None, None))
        shown = (*r[:3], vault.tail(r[3]), *r[4:])  # the ID's last four, decrypted
        results.append(ClaimResult._make((*shown, wait.waiting_for if wait else None, late, *payout)))
    return results


def contract_results(session: Session, vault: Vault, ids: list[int]) -> list[ContractResult]:
    if not ids:
        return []
    q = (
        select(
            Contract.id,
            Person.id,
            Person.name,
            Person.id_number_enc,
            Village.name,
            Post.title,
            Contract.start_date,
            Contract.end_date,
            Contract.state,
        )
        .join(Person, Person.id == Contract.person_id)
        .join(Village, Village.id == Contract.village_id)
        .join(Post, Post.id == Contract.post_id)
        .where(Contract.id.in_(ids))
    )
    found = {r[0]: r for r in session.execute(q)}
    return [
        ContractResult(
            r[0],
            r[1],
            r[2],
            vault.tail(r[3]),
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            waiting_for=(w.waiting_for if (w := CONTRACT.waits.get(r.state)) else None),
        )
        for i in ids
        if (r := found.get(i)) is not None
    ]


def person_results(session: Session, vault: Vault, ids: list[int]) -> list[PersonResult]:
    if not ids:
        return []
    q = (
        select(Person.id, Person.name, Person.id_number_enc, Village.name, Person.sex, Person.birth_date)
        .join(Village, Village.id == Person.village_id)
        .where(Person.id.in_(ids))
    )
    found = {r[0]: r for r in session.execute(q)}
    return [
        PersonResult(r[0], r[1], vault.tail(r[2]), r[3], r[4], r[5].year)
        for i in ids
        if (r := found.get(i)) is not None
    ]
