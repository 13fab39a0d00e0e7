"""The record of changes to staff accounts: what each field shows, old → new, and who did it when.

Passwords and tokens are never written here, only that one was set or made (a token by its
prefix and label)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.roles import ROLE_LABELS, Actor, Role

from ..audit.recording import entry, note
from ..db import Database
from ..models import Organisation, User, UserVillage, Village
from .models import UserChange

COMMAND_LINE = "命令行"  # who the record names when no signed-in user made the change


def roles_of(user: User) -> list[str]:
    return [r for r in user.roles.split(",") if r]


def shown(session: Session, user: User) -> dict[str, str]:
    """Each field as the record shows it: labels and names rather than codes and ids."""
    villages = session.scalars(
        select(Village.name)
        .join(UserVillage, UserVillage.village_id == Village.id)
        .where(UserVillage.user_id == user.id)
        .order_by(Village.code)
    ).all()
    org = session.get(Organisation, user.org_id) if user.org_id else None
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email or "",
        "roles": "、".join(ROLE_LABELS[Role(r)] for r in roles_of(user)),
        "village_ids": "、".join(villages),
        "org_id": org.name if org else "",
        "active": "在用" if user.active else "已停用",
    }


def diff(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"field": k, "old": before.get(k, ""), "new": v} for k, v in after.items() if before.get(k, "") != v
    ]


def record(
    session: Session,
    db: Database,
    actor: Actor | None,
    user_id: int,
    action: str,
    changes: list[dict[str, Any]],
) -> None:
    """One row of the record; ``actor`` None is the command line (or a script)."""
    session.add(
        UserChange(
            user_id=user_id,
            action=action,
            actor_id=actor.user_id if actor else 0,
            actor_name=(actor.name if actor else COMMAND_LINE)[:50],
            at=db.clock.now(),
            changes=changes,
        )
    )
    # The audit log: the change's kind and the fields it touched (the values stay in the record).
    fields = sorted({str(c.get("field", "")) for c in changes} - {""})[:12]
    note(
        session,
        entry(
            db.clock.now(),
            f"user.{action}",
            actor=actor,
            username=None if actor else COMMAND_LINE,
            target=("user", user_id),
            detail={"fields": fields},
        ),
    )


def history_of(session: Session, user_id: int) -> list[UserChange]:
    return list(
        session.scalars(
            select(UserChange).where(UserChange.user_id == user_id).order_by(UserChange.id.desc())
        )
    )
