"""What a search matches, as SQL conditions on claims, contracts and persons: the terms the text
asks for (``workflow.search_terms``), within what the staff member may see (a verifier their
villages, county staff the county), in any state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from workflow.roles import Actor, is_county_wide
from workflow.search_terms import Asks, Terms

from ..db import Database
from ..models import Claim, Contract, Organisation, Person
from ..payouts.models import PayoutBatch, PayoutLine
from ..people.tails import tail_hashes, tail_matches

KINDS = ("claims", "contracts", "persons")


@dataclass(frozen=True)
class Matching:
    """Each kind's condition (``false()`` when the terms cannot match that kind)."""

    claims: ColumnElement[bool]
    contracts: ColumnElement[bool]
    persons: ColumnElement[bool]

    def of(self, kind: str) -> ColumnElement[bool]:
        return {"claims": self.claims, "contracts": self.contracts, "persons": self.persons}[kind]


def _seen(actor: Actor, village: InstrumentedAttribute[int]) -> list[ColumnElement[bool]]:
    """The villages the staff member sees (``workflow.roles.sees_village`` as SQL)."""
    if is_county_wide(actor):
        return []
    return [village.in_(sorted(actor.village_ids))]


def _persons(condition: ColumnElement[bool]) -> Select[Any]:
    return select(Person.id).where(condition)


def _id_tail(db: Database, digits: str) -> ColumnElement[bool]:
    """The last digits of the ID number: the keyed hash of every tail ending in them."""
    return tail_matches(tail_hashes(db.vault, digits))


def _name(text: str) -> ColumnElement[bool]:
    """A name or its beginning, as a range on the indexed name column (as the inbox does)."""
    return (Person.name >= text) & (Person.name < text + "\U0010ffff")


def matching(db: Database, actor: Actor, terms: Terms | None, person_id: int | None = None) -> Matching:
    """The conditions of a search by ``terms`` (or of one person's records), within scope."""
    claims: ColumnElement[bool] | None = None
    contracts: ColumnElement[bool] | None = None
    persons: ColumnElement[bool] | None = None
    if person_id is not None:
        claims, contracts, persons = (
            Claim.person_id == person_id,
            Contract.person_id == person_id,
            Person.id == person_id,
        )
    elif terms is None:
        pass
    elif terms.asks in (Asks.DIGITS, Asks.ID_TAIL, Asks.FULL_ID, Asks.NAME):
        found: ColumnElement[bool]
        if terms.asks is Asks.FULL_ID:
            found = Person.id_number_hash.in_(db.vault.digests(terms.text))
        elif terms.asks is Asks.NAME:
            found = _name(terms.text)
        else:
            found = _id_tail(db, terms.text)
        claims = Claim.person_id.in_(_persons(found))
        contracts = Contract.person_id.in_(_persons(found))
        persons = found
        if terms.asks is Asks.DIGITS:  # also a claim's or a contract's number
            claims = or_(Claim.id == terms.number, Claim.person_id.in_(_persons(found)))
            contracts = or_(Contract.id == terms.number, Contract.person_id.in_(_persons(found)))
        if terms.asks is Asks.NAME:  # also the claimant: an organisation's name, any part of it
            orgs = select(Organisation.id).where(Organisation.name.contains(terms.text, autoescape=True))
            claims = or_(Claim.person_id.in_(_persons(found)), Claim.claimant_org_id.in_(orgs))
    elif terms.asks is Asks.NUMBER:
        claims, contracts = Claim.id == terms.number, Contract.id == terms.number
    elif terms.asks is Asks.LIST:
        claims = Claim.batch_ref == terms.text
    elif terms.asks is Asks.PAYOUT:
        lines = (
            select(PayoutLine.claim_id)
            .join(PayoutBatch, PayoutBatch.id == PayoutLine.batch_id)
            .where(PayoutBatch.reference == terms.text)
        )
        claims = Claim.id.in_(lines)
    return Matching(
        claims=_within(claims, _seen(actor, Claim.village_id)),
        contracts=_within(contracts, _seen(actor, Contract.village_id)),
        persons=_within(persons, _seen(actor, Person.village_id)),
    )


def _within(condition: ColumnElement[bool] | None, scope: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if condition is None:
        return false()
    return condition & scope[0] if scope else condition
