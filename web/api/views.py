"""ORM rows to API shapes: the only place that decides what an agent sees of a record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from store.claims import AgentClaim
from workflow.clock import TZ
from workflow.guards import Absorption
from workflow.identity import mask
from workflow.labour import age_on
from workflow.pii import Vault
from workflow.states import STATE_LABELS, SUBSIDY_LABELS

from .schemas import AbsorptionOut, ClaimOut, EvidenceOut, HistoryOut, PersonOut


class VillageRow(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...


class PersonRow(Protocol):
    """What an agent may see of a person's record (the ID number only masked)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def id_number_enc(self) -> str: ...
    @property
    def birth_date(self) -> date: ...
    @property
    def sex(self) -> str: ...
    @property
    def village(self) -> VillageRow: ...
    @property
    def target_group_set(self) -> frozenset[str]: ...
    @property
    def labour_capacity(self) -> str: ...
    @property
    def labour_force_override(self) -> bool: ...
    @property
    def bank_last4(self) -> str | None: ...


class EvidenceRow(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def claim_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...
    @property
    def uploaded_at(self) -> datetime: ...


def aware(moment: datetime) -> datetime:
    """Stored times are naive Beijing time; the API says so (RFC 3339 needs an offset: +08:00)."""
    return moment.replace(tzinfo=TZ) if moment.tzinfo is None else moment


def person_out(person: PersonRow, vault: Vault, today: date, created: bool = False) -> PersonOut:
    """The person as an agent sees them: the number masked and the age, never the birth date."""
    village = person.village
    return PersonOut(
        id=person.id,
        name=person.name,
        id_number_masked=mask(vault.decrypt(person.id_number_enc)),
        age=age_on(person.birth_date, today),
        sex=person.sex,
        village_code=village.code,
        village_name=village.name,
        target_groups=sorted(person.target_group_set),
        labour_capacity=person.labour_capacity,
        labour_force_override=person.labour_force_override,
        bank_account_masked=f"****{person.bank_last4}" if person.bank_last4 else None,
        created=created,
    )


def claim_out(found: AgentClaim, vault: Vault) -> ClaimOut:
    claim, person = found.claim, found.claim.person
    history = (
        None
        if found.history is None
        else [
            HistoryOut(h.trigger, h.from_state, h.to_state, h.actor_name, h.role, aware(h.at), h.comment)
            for h in found.history
        ]
    )
    return ClaimOut(
        id=claim.id,
        subsidy_type=claim.subsidy_type,
        subsidy_label=SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
        person_id=person.id,
        person_name=person.name,
        person_id_number_masked=mask(vault.decrypt(person.id_number_enc)),
        claimant_org_id=claim.claimant_org_id,
        payee=claim.payee_kind,
        policy_year=claim.policy_year,
        facts=dict(claim.facts),
        amount=claim.amount,
        rule=claim.rule,
        rule_explanation=claim.rule_explanation,
        state=claim.state,
        state_label=STATE_LABELS.get(claim.state, claim.state),
        version=claim.version,
        due_at=aware(claim.due_at) if claim.due_at else None,
        overdue=claim.overdue,
        batch_ref=claim.batch_ref,
        created_at=aware(claim.created_at),
        updated_at=aware(claim.updated_at),
        history=history,
        evidence_count=found.evidence_count,
        absorption=absorption_out(found.absorption),
    )


def absorption_out(info: Absorption | None) -> AbsorptionOut | None:
    if info is None:
        return None
    met = info.count >= info.required
    message = (
        f"本单位目前有效申请计入吸纳目标人员{info.counted}（{'、'.join(info.names)}"
        + ("等" if len(info.names) < info.count or info.capped else "")
        + "），"
        + ("已达到" if met else "未达到")
        + f"{info.required}人的条件"
        + ("" if met else "，达到后方可审核通过")
    )
    return AbsorptionOut(info.count, info.required, list(info.claim_ids), list(info.names), message)


def evidence_out(e: EvidenceRow) -> EvidenceOut:
    return EvidenceOut(
        e.id, e.claim_id, e.kind, e.filename, e.content_type, e.size, e.sha256, aware(e.uploaded_at)
    )
