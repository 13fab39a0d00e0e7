"""Writing the register of organisations (申报单位) that HR and the admin keep: registering and
editing one, its bank account stored encrypted, its agents moved, every change recorded (who,
when, old → new, the account masked). The checks are in ``org_checks``, the reads in
``org_queries``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import NotFound, TransitionRefused
from workflow.roles import Actor, Role
from workflow.states import ORG_KIND_LABELS

from ..access import user_log
from ..access.users import token_name
from ..db import Database
from ..models import ApiToken, Organisation, User, Village
from .org_checks import OrganisationInput, checked
from .org_models import OrganisationHistory
from .org_queries import agents_of, masked_bank


def _require_register_keeper(actor: Actor) -> None:
    if not actor.roles & {Role.HR, Role.ADMIN}:
        raise TransitionRefused(
            "organisation.hr_or_admin_only", "只有县人社局审核员或系统管理员可以登记和修改申报单位"
        )


def _who(user: User) -> str:
    return f"{user.display_name}（{user.username}）"


def _shown(session: Session, org: Organisation, agents: list[User]) -> dict[str, str]:
    """Each field as the record of changes shows it: labels, names, the bank account masked."""
    village = session.get(Village, org.village_id) if org.village_id else None
    return {
        "name": org.name,
        "kind": ORG_KIND_LABELS.get(org.kind, org.kind),
        "credit_code": org.credit_code or "",
        "recognised": "是" if org.recognised else "否",
        "recognition_doc_no": org.recognition_doc_no or "",
        "recognised_on": org.recognised_on.isoformat() if org.recognised_on else "",
        "first_business": "是" if org.first_business else "否",
        "village_id": village.name if village else "",
        "bank_account": masked_bank(org),
        "contact_name": org.contact_name or "",
        "contact_phone": org.contact_phone or "",
        "agent_ids": "、".join(_who(u) for u in agents),
    }


def _diff(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"field": k, "old": before.get(k, ""), "new": v} for k, v in after.items() if before.get(k, "") != v
    ]


def _record(
    session: Session, db: Database, actor: Actor, org_id: int, action: str, changes: list[dict[str, str]]
) -> None:
    session.add(
        OrganisationHistory(
            organisation_id=org_id,
            action=action,
            actor_id=actor.user_id,
            actor_name=actor.name or "",
            at=db.clock.now(),
            changes=changes,
        )
    )


def _apply(
    session: Session,
    db: Database,
    actor: Actor,
    org: Organisation,
    values: dict[str, Any],
    inp: OrganisationInput,
) -> None:
    for name in (
        "name",
        "kind",
        "credit_code",
        "recognised",
        "recognition_doc_no",
        "recognised_on",
        "first_business",
        "village_id",
        "contact_name",
        "contact_phone",
    ):
        setattr(org, name, values[name])
    if values["bank_account"]:
        org.bank_account_enc = db.vault.encrypt(values["bank_account"])
        org.bank_last4 = values["bank_account"][-4:]
    elif inp.clear_bank_account:
        org.bank_account_enc = org.bank_last4 = None
    session.flush()
    _move_agents(session, db, actor, org.id, values["agents"])


def _move_agents(session: Session, db: Database, actor: Actor, org_id: int, chosen: list[User]) -> None:
    """The chosen agents act for this organisation and no other: one that leaves an
    organisation loses the API tokens it held for it, and that organisation's record says so."""
    now = db.clock.now()
    keep = {u.id for u in chosen}
    leaving = [u for u in agents_of(session, org_id) if u.id not in keep]
    for user in chosen + leaving:
        old_org = user.org_id
        new_org = org_id if user.id in keep else None
        if old_org == new_org:
            continue
        changes = [
            {"field": "org_id", "old": _org_name(session, old_org), "new": _org_name(session, new_org)}
        ]
        if old_org is not None:
            for token in session.scalars(
                select(ApiToken).where(
                    ApiToken.user_id == user.id, ApiToken.org_id == old_org, ApiToken.revoked_at.is_(None)
                )
            ):
                token.revoked_at = now
                changes.append(
                    {"field": "token", "old": token_name(token.prefix, token.label), "new": "已作废"}
                )
            if old_org != org_id:
                _record(
                    session,
                    db,
                    actor,
                    old_org,
                    "agent_moved",
                    [{"field": "agent_ids", "old": _who(user), "new": ""}],
                )
        user.org_id = new_org
        user_log.record(session, db, actor, user.id, "edit", changes)  # the account's own record
    session.flush()


def _org_name(session: Session, org_id: int | None) -> str:
    org = session.get(Organisation, org_id) if org_id is not None else None
    return org.name if org is not None else ""


def register_organisation(db: Database, actor: Actor, inp: OrganisationInput) -> int:
    """A new organisation on the register; its id."""
    _require_register_keeper(actor)
    with db.transaction() as session:
        values = checked(session, db, inp, None)
        org = Organisation(name=values["name"], kind=values["kind"])
        session.add(org)
        session.flush()
        _apply(session, db, actor, org, values, inp)
        after = _shown(session, org, agents_of(session, org.id))
        _record(
            session,
            db,
            actor,
            org.id,
            "register",
            _diff({}, {k: v for k, v in after.items() if v not in ("", "否")}),
        )
        return org.id


def edit_organisation(db: Database, actor: Actor, org_id: int, inp: OrganisationInput) -> bool:
    """Store the changes, recording each field old → new; False if nothing changed."""
    _require_register_keeper(actor)
    with db.transaction() as session:
        org = session.scalar(select(Organisation).where(Organisation.id == org_id).with_for_update())
        if org is None:
            raise NotFound("not_found.organisation", "申报单位不存在", id=org_id)
        before = _shown(session, org, agents_of(session, org_id))
        values = checked(session, db, inp, org_id)
        _apply(session, db, actor, org, values, inp)
        changes = _diff(before, _shown(session, org, agents_of(session, org_id)))
        if values["bank_account"] and not any(c["field"] == "bank_account" for c in changes):
            # A new account ending in the same four digits is still a change worth recording.
            changes.append(
                {
                    "field": "bank_account",
                    "old": before["bank_account"],
                    "new": masked_bank(org) + "（已更换）",
                }
            )
        if changes:
            _record(session, db, actor, org_id, "edit", changes)
        return bool(changes)
