"""The admin's work on staff accounts: add one, change its roles, villages or organisation,
deactivate and reactivate it (its sessions end), unlock it, reset its password, issue and revoke
an agent's API tokens. Each is one transaction and one row of the account's record of changes
(``user_log``); the last active admin is never deactivated nor loses the role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from workflow.errors import NotFound, RuleViolation, TransitionRefused
from workflow.roles import Actor, Role
from workflow.text_input import checked_name

from ..db import Database
from ..models import ApiToken, StaffSession, User, UserVillage
from ..people.org_models import OrganisationHistory
from . import sign_in_limits, user_log
from .users import checked_access, create_token, create_user, hash_password, normalise_email, token_name

# No 0/O, 1/l/I: a password read out over the telephone or copied from a screen.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class AccessInput:
    """What the admin's form says of an account (the username only when adding one)."""

    display_name: str
    roles: tuple[str, ...]
    village_ids: tuple[int, ...] = ()
    org_id: int | None = None
    email: str = ""
    username: str = ""


@dataclass(frozen=True)
class Added:
    user_id: int
    password: str | None  # the one made for it, shown once; None when the admin typed one


def new_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))


def require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise TransitionRefused("users.admin_only", "只有系统管理员可以管理用户账号")


def _user(session: Session, user_id: int) -> User:
    user = session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None:
        raise NotFound("not_found.user", "用户不存在", id=user_id)
    return user


def _active_admins(session: Session) -> set[int]:
    """The active admins' ids, their rows locked in id order before any other account's, so two
    admins removing each other at once wait for one another (PostgreSQL) instead of both
    succeeding, and never deadlock."""
    rows = session.execute(
        select(User.id, User.roles)
        .where(User.active.is_(True), User.roles.contains(Role.ADMIN.value))
        .order_by(User.id)
        .with_for_update()
    ).all()
    return {uid for uid, roles in rows if Role.ADMIN in roles.split(",")}


def _keep_an_admin(user: User, admins: set[int]) -> None:
    """Refuse when ``user`` is the last active admin (``admins``: from ``_active_admins``)."""
    if admins == {user.id}:
        raise RuleViolation(
            "users.last_admin",
            "这是最后一个在用的系统管理员账号，不能停用，也不能取消其系统管理员角色；请先为另一人开通系统管理员",
        )


def _end_sessions(session: Session, db: Database, user_id: int) -> int:
    return session.execute(  # type: ignore[attr-defined,no-any-return]
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=db.clock.now())
    ).rowcount


def _revoke_tokens(session: Session, db: Database, user: User, why: str) -> list[dict[str, str]]:
    """Revoke every live token of the user; the changes that say so."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = db.clock.now()
    return [{"field": "token", "old": token_name(t.prefix, t.label), "new": why} for t in tokens]


def _agent_moved(
    session: Session, db: Database, actor: Actor, user: User, old_org: int | None, new_org: int | None
) -> None:
    """The organisations' own records say an agent left or joined them, as the register does."""
    who = f"{user.display_name}（{user.username}）"
    for org_id, old, new in ((old_org, who, ""), (new_org, "", who)):
        if org_id is not None:
            session.add(
                OrganisationHistory(
                    organisation_id=org_id,
                    action="agent_moved",
                    actor_id=actor.user_id,
                    actor_name=actor.name or "",
                    at=db.clock.now(),
                    changes=[{"field": "agent_ids", "old": old, "new": new}],
                )
            )


def add_user(db: Database, actor: Actor, inp: AccessInput, password: str | None) -> Added:
    """A new account with the password typed, or one made for it (returned, to be shown once)."""
    require_admin(actor)
    made = None if password else new_password()
    with db.transaction() as session:
        user = create_user(
            session,
            db,
            username=inp.username,
            password=password or made or "",
            roles=inp.roles,
            display_name=inp.display_name,
            village_ids=inp.village_ids,
            org_id=inp.org_id,
            email=inp.email,
            actor=actor,
        )
        return Added(user.id, made)


def change_access(db: Database, actor: Actor, user_id: int, inp: AccessInput) -> bool:
    """New name, e-mail, roles, villages or organisation; False when nothing changed. An agent
    who leaves an organisation loses the tokens it held for it."""
    require_admin(actor)
    with db.transaction() as session:
        admins = _active_admins(session)
        user = _user(session, user_id)
        before = user_log.shown(session, user)
        roles, villages, org_id = checked_access(session, inp.roles, inp.village_ids, inp.org_id)
        if Role.ADMIN not in roles:
            _keep_an_admin(user, admins)
        user.display_name = checked_name(inp.display_name, "display_name", "显示名称")[:50] or user.username
        user.email = normalise_email(inp.email)
        user.roles = ",".join(sorted(roles))
        session.execute(delete(UserVillage).where(UserVillage.user_id == user.id))
        session.add_all(UserVillage(user_id=user.id, village_id=v) for v in villages)
        revoked: list[dict[str, str]] = []
        if org_id != user.org_id:
            revoked = _revoke_tokens(session, db, user, "已作废（不再代表原申报单位）")
            _agent_moved(session, db, actor, user, user.org_id, org_id)
            user.org_id = org_id
        session.flush()
        changes = user_log.diff(before, user_log.shown(session, user)) + revoked
        if changes:
            user_log.record(session, db, actor, user.id, "edit", changes)
        return bool(changes)


def set_active(db: Database, actor: Actor, user_id: int, active: bool) -> bool:
    """Deactivate (its sessions end at once, its tokens are revoked) or reactivate an account;
    False when it already was so."""
    require_admin(actor)
    with db.transaction() as session:
        admins = _active_admins(session)
        user = _user(session, user_id)
        if user.active == active:
            return False
        changes = [
            {"field": "active", "old": "已停用" if active else "在用", "new": "在用" if active else "已停用"}
        ]
        if not active:
            _keep_an_admin(user, admins)
            _end_sessions(session, db, user.id)
            changes += _revoke_tokens(session, db, user, "已作废（账号停用）")
        user.active = active
        user_log.record(session, db, actor, user.id, "reactivate" if active else "deactivate", changes)
        return True


def unlock(db: Database, actor: Actor, user_id: int) -> bool:
    """Clear the failed sign-ins and every address's back-off on the account
    (``sign_in_limits``); False when there was nothing to clear."""
    require_admin(actor)
    with db.transaction() as session:
        user = _user(session, user_id)
        waiting = sign_in_limits.forgive(session, user.username)
        if not user.failed_logins and user.locked_until is None and not waiting:
            return False
        old = f"连续登录失败{user.failed_logins}次" + (
            f"，须等待至{user.locked_until:%Y-%m-%d %H:%M}" if user.locked_until else ""
        )
        user.failed_logins, user.locked_until = 0, None
        user_log.record(
            session, db, actor, user.id, "unlock", [{"field": "locked", "old": old, "new": "已解锁"}]
        )
        return True


def reset_password(db: Database, actor: Actor, user_id: int, password: str | None) -> str | None:
    """Set the password typed, or a new one (returned, to be shown once). The account's
    sessions end and its lockout is cleared."""
    require_admin(actor)
    made = None if password else new_password()
    with db.transaction() as session:
        user = _user(session, user_id)
        user.password_hash = hash_password(
            password or made or "", user.username, user.roles.split(","), user.display_name
        )
        user.failed_logins, user.locked_until = 0, None
        _end_sessions(session, db, user.id)
        how = "已重置（系统生成，只显示一次）" if made else "已由系统管理员设置"
        user_log.record(
            session, db, actor, user.id, "password", [{"field": "password", "old": "", "new": how}]
        )
    return made


def issue_token(db: Database, actor: Actor, user_id: int, label: str) -> str:
    """A new API token for an agent account, returned to be shown once (only its hash is kept)."""
    require_admin(actor)
    with db.transaction() as session:
        return create_token(session, db, _user(session, user_id), label, actor)


def revoke_token(db: Database, actor: Actor, user_id: int, token_id: int) -> bool:
    """Revoke one of the account's tokens; False when it already was."""
    require_admin(actor)
    with db.transaction() as session:
        user = _user(session, user_id)
        token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
        if token is None:
            raise NotFound("not_found.token", "接口令牌不存在", id=token_id)
        if token.revoked_at is not None:
            return False
        token.revoked_at = db.clock.now()
        name = token_name(token.prefix, token.label)
        user_log.record(
            session, db, actor, user.id, "token_revoke", [{"field": "token", "old": name, "new": "已作废"}]
        )
        return True


def end_sessions(db: Database, actor: Actor, user_id: int) -> int:
    """Sign the account out everywhere (a lost phone, a shared computer); how many sessions
    ended. The account stays usable: its owner signs in again."""
    require_admin(actor)
    with db.transaction() as session:
        user = _user(session, user_id)
        ended = _end_sessions(session, db, user.id)
        if ended:
            user_log.record(
                session,
                db,
                actor,
                user.id,
                "sessions",
                [{"field": "sessions", "old": f"{ended}个", "new": "已结束"}],
            )
        return ended


def revoke_tokens(db: Database, actor: Actor, user_id: int) -> int:
    """Revoke every live API token of the account; how many."""
    require_admin(actor)
    with db.transaction() as session:
        user = _user(session, user_id)
        changes = _revoke_tokens(session, db, user, "已作废")
        if changes:
            user_log.record(session, db, actor, user.id, "token_revoke", changes)
        return len(changes)


def user_id_of(db: Database, username: str) -> int:
    """The id of the account with this username (the command line names accounts so)."""
    with db.transaction() as session:
        found = session.scalar(select(User.id).where(User.username == username.strip()))
    if found is None:
        raise NotFound("not_found.user", f"没有用户 {username}")
    return found
