"""Staff users (argon2 password hashes) and the agents' API tokens."""

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
from workflow.roles import Actor, Role

from ..db import Database
from ..models import ApiToken, Organisation, User, UserVillage, Village

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
) -> User:
    role_set = set(roles)
    if unknown := role_set - {r.value for r in Role if r is not Role.SYSTEM}:
        raise ValidationFailed("validation.role", f"未知的角色：{', '.join(sorted(unknown))}", field="roles")
    if not role_set:
        raise ValidationFailed("validation.role", "至少需要一个角色", field="roles")
    if len(password) < 8:
        raise ValidationFailed("validation.password", "密码至少8位", field="password")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed("validation.username_taken", f"用户名“{username}”已存在", field="username")
    email = normalise_email(email)
    villages = list(village_ids)
    if Role.VILLAGE in role_set and not villages:
        raise ValidationFailed("validation.villages", "村级核实员须指定所负责的行政村", field="village_ids")
    for vid in villages:
        if session.get(Village, vid) is None:
            raise ValidationFailed("validation.village", f"行政村{vid}不存在", field="village_ids")
    if Role.AGENT in role_set and (org_id is None or session.get(Organisation, org_id) is None):
        raise ValidationFailed("validation.org", "申报主体经办人须属于一个申报单位", field="org_id")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=_hasher.hash(password),
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


def create_token(session: Session, db: Database, user: User, label: str = "") -> str:
    """A new bearer token for an agent; only its hash is kept, so it is shown once."""
    if user.org_id is None or "agent" not in user.roles.split(","):
        raise ValidationFailed(
            "validation.token_user", "只有申报主体经办人可以创建接口令牌", field="username"
        )
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
    return token


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
