"""Builders for payouts: a claim paid the only way money moves, through a batch line."""

from __future__ import annotations

from datetime import date

from store.db import Database
from store.models import Claim, Organisation, Person
from store.payouts import batch_pool
from store.payouts import batches as payouts
from workflow.roles import Actor

from .builders import County

ORG_ACCOUNT = "6222020200112233445"
PAID_ON = date(2026, 11, 27)


def give_broker_an_account(db: Database, c: County) -> County:
    """The county's labour broker is paid the export claims: register its bank account."""
    with db.transaction() as s:
        org = s.get_one(Organisation, c.org)
        org.bank_account_enc, org.bank_last4 = db.vault.encrypt(ORG_ACCOUNT), ORG_ACCOUNT[-4:]
    return c


def give_payee_an_account(db: Database, claim_id: int, account: str = ORG_ACCOUNT) -> None:
    """A bank needs an account to pay into: register one for the claim's payee if it has none."""
    with db.transaction() as s:
        claim = s.get_one(Claim, claim_id)
        payee: Person | Organisation = claim.person if claim.payee_kind == "person" else claim.claimant
        if payee.bank_account_enc is None:
            payee.bank_account_enc, payee.bank_last4 = db.vault.encrypt(account), account[-4:]


def pay_through_batch(
    db: Database, finance: Actor, claim_id: int, bank_reference: str = "YH-TEST-0001", paid_on: date = PAID_ON
) -> Claim:
    """An approved claim put in a batch of its own and confirmed with the bank's reference."""
    give_payee_an_account(db, claim_id)
    batch = batch_pool.create_batch(db, finance, [claim_id])
    outcomes = payouts.confirm_paid(db, finance, batch.id, bank_reference, paid_on)
    assert [o.outcome for o in outcomes] == ["paid"], outcomes
    with db.sessions() as s:
        return s.get_one(Claim, claim_id)
