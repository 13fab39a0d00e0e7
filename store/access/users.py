"""Staff users (argon2 password hashes), the roles one may hold together, and the agents' API
tokens; each account made and token issued is recorded (``user_log``)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterable

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import ValidationFailed
from workflow.passwords import check_password_rule
from workflow.roles import Actor, Role, check_roles_together
from workflow.states import OrgKind
from workflow.text_input import checked_name, checked_text

from ..db import Database
from ..models import ApiToken, Organisation, User, UserVillage, Village
from . import user_log

# The test suite hashes hundreds of passwords; it may ask for argon2's cheapest profile.
# Never set this variable on a server.
_hasher = (
    PasswordHasher.from_parameters(profiles.CHEAPEST)
    if os.environ.get("FUZHI_TEST_WEAK_PASSWORD_HASHES") == "1"
    else PasswordHasher()
)
TOKEN_PREFIX = "fz_"
# Plausible, not RFC 5322: one @, a dotted domain, no spaces, quotes or angle brackets (the
# address goes into a mail header), ASCII only (not every relay speaks SMTPUTF8).
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def normalise_email(email: str | None) -> str | None:
    """An e-mail address for notices, trimmed; None or blank means none."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > 120 or not _EMAIL.fullmatch(email):
        raise ValidationFailed("validation.email", f"电子邮箱“{email[:60]}”格式不正确", field="email")
    return email


def hash_password(password: str, username: str, roles: Iterable[str], display_name: str = "") -> str:
    """The argon2 hash of a password that follows the rule (``workflow.passwords``: its length
    by the account's roles, not the name inside it, not a leaked or guessable one)."""
    check_password_rule(password, username, roles, display_name)
    return _hasher.hash(password)


def checked_access(
    session: Session, roles: Iterable[str], village_ids: Iterable[int], org_id: int | None
) -> tuple[set[str], list[int], int | None]:
    """Roles, villages and organisation checked together: known roles, a village verifier's
    villages, an agent's organisation, and no pair of roles the process needs two people for
    (``workflow.roles.check_roles_together``). Villages are kept only for a verifier and the
    organisation only for an agent."""
    role_set = set(roles)
    if unknown := role_set - {r.value for r in Role if r is not Role.SYSTEM}:
        raise ValidationFailed("validation.role", f"未知的角色：{', '.join(sorted(unknown))}", field="roles")
    if not role_set:
        raise ValidationFailed("validation.role", "至少需要一个角色", field="roles")
    villages = sorted(set(village_ids)) if Role.VILLAGE in role_set else []
    if Role.VILLAGE in role_set and not villages:
        raise ValidationFailed("validation.villages", "村级核实员须指定所负责的行政村", field="village_ids")
    for vid in villages:
        if session.get(Village, vid) is None:
            raise ValidationFailed("validation.village", f"行政村{vid}不存在", field="village_ids")
    org = session.get(Organisation, org_id) if org_id is not None and Role.AGENT in role_set else None
    if Role.AGENT in role_set and org is None:
        raise ValidationFailed("validation.org", "申报主体经办人须属于一个申报单位", field="org_id")
    committee = org.village_id if org is not None and org.kind == OrgKind.VILLAGE_COMMITTEE else None
    check_roles_together(role_set, villages, committee)
    return role_set, villages, org.id if org is not None else None


def create_user(
    session: Session,
    db: Database,
    *,
    username: str,
    password: str,
    roles: Iterable[str],
    display_name: str = "",
    village_ids: Iterable[int] = (),
    org_id: int | None = None,
    email: str | None = None,
    actor: Actor | None = None,
) -> User:
    """A new account, recorded as made by ``actor`` (None: the command line or a script)."""
    username = username.strip()
    if not username or len(username) > 50 or any(ch.isspace() for ch in username):
        raise ValidationFailed("validation.username", "用户名须为1至50个字符，不含空格", field="username")
    role_set, villages, org_id = checked_access(session, roles, village_ids, org_id)
    password_hash = hash_password(password, username, role_set, display_name)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("validation.username_taken", f"用户名“{username}”已存在", field="username")
    email = normalise_email(email)
    user = User(
        username=username,
        display_name=checked_name(display_name, "display_name", "显示名称")[:50] or username,
        password_hash=password_hash,
        roles=",".join(sorted(role_set)),
        org_id=org_id,
        active=True,
        created_at=db.clock.now(),
        email=email,
    )
    session.add(user)
    session.flush()
    session.add_all(UserVillage(user_id=user.id, village_id=v) for v in villages)
    session.flush()
    user_log.record(session, db, actor, user.id, "create", user_log.diff({}, user_log.shown(session, user)))
    return user


def check_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches the stored hash, and the hash to store instead when the
    hasher's parameters changed since. Argon2 is slow on purpose (tens of milliseconds, more
    on a busy server): call it outside any transaction, never holding a connection. No hash
    (no such user) costs the same time: no user enumeration."""
    if password_hash is None:
        _hasher.hash(password)
        return False, None
    try:
        _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password (a check inside the caller's transaction:
    for scripts and tests; signing in checks outside one, ``sessions.sign_in``)."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok, rehashed = check_password(user.password_hash if user else None, password)
    if not ok or user is None:
        return None
    if rehashed:
        user.password_hash = rehashed
    return user


def actor_for(session: Session, user: User) -> Actor:
    villages = session.scalars(select(UserVillage.village_id).where(UserVillage.user_id == user.id)).all()
    return Actor(
        user_id=user.id,
        roles=frozenset(Role(r) for r in user.roles.split(",") if r),
        village_ids=frozenset(villages),
        org_id=user.org_id,
        name=user.display_name,
    )


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough; no slow hash needed.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, db: Database, user: User, label: str = "", actor: Actor | None = None
) -> str:
    """A new bearer token for an active agent; only its hash is kept, so it is shown once. The
    record of changes names it by its prefix and label, never the token."""
    if user.org_id is None or "agent" not in user.roles.split(","):
        raise ValidationFailed(
            "validation.token_user", "只有申报主体经办人可以创建接口令牌", field="username"
        )
    if not user.active:
        raise ValidationFailed("validation.token_user", "该账号已停用，不能创建接口令牌", field="username")
    label = checked_text(label, "label", "令牌名称")
    if len(label) > 100:
        raise ValidationFailed("validation.too_long", "令牌说明不能超过100个字", field="label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            org_id=user.org_id,
            user_id=user.id,
            token_hash=_token_hash(token),
            prefix=token[:10],
            label=label,
            created_at=db.clock.now(),
        )
    )
    session.flush()
    user_log.record(
        session,
        db,
        actor,
        user.id,
        "token_create",
        [{"field": "token", "old": "", "new": token_name(token[:10], label)}],
    )
    return token


def token_name(prefix: str, label: str) -> str:
    """How a token is named where it may be seen: its prefix and label, never the token."""
    return f"{prefix}…" + (f"（{label}）" if label else "")


def actor_for_token(session: Session, token: str) -> Actor | None:
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    actor = actor_for(session, user)
    # A token acts for its organisation and only as an agent, whatever else its user may be.
    return Actor(user_id=user.id, roles=frozenset({Role.AGENT}), org_id=row.org_id, name=actor.name)


def agent_for_token(db: Database, token: str) -> Actor | None:
    """The agent a bearer token stands for (None for an unknown or revoked token)."""
    with db.transaction() as session:
        return actor_for_token(session, token)
