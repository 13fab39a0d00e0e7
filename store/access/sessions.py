"""Staff sign-in: server-side sessions with idle and absolute timeouts, and a lockout."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, select, update

from workflow.errors import DomainError
from workflow.roles import Actor

from ..db import Database
from ..models import StaffSession, User
from .users import actor_for, check_password

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most once a minute
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


class SignInRefused(DomainError):
    status = 401


@dataclass(frozen=True)
class SignedIn:
    token: str
    actor: Actor
    username: str
    language: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(db: Database, username: str, password: str) -> SignedIn:
    """A new session (a new id every time, so a planted cookie is worthless) or a refusal.

    The password is checked between two short transactions, holding no connection: argon2
    takes its time on purpose, and a busy county server should not keep a transaction (and
    on SQLite, nothing else) waiting on it."""
    now = db.clock.now()
    name = username.strip()
    with db.transaction() as session:
        found = session.execute(
            select(User.id, User.password_hash, User.active, User.locked_until).where(User.username == name)
        ).first()
    if found is not None and found.locked_until is not None and found.locked_until > now:
        raise SignInRefused("auth.locked", "连续登录失败次数过多，账号已临时锁定，请15分钟后再试")
    ok, rehashed = check_password(
        found.password_hash if found is not None and found.active else None, password
    )
    if not ok:
        if found is not None:
            with db.transaction() as session:
                # Counted in the database (committed here), so every server process agrees.
                failures = User.failed_logins + 1
                session.execute(
                    update(User)
                    .where(User.id == found.id)
                    .values(
                        failed_logins=failures,
                        locked_until=case((failures >= MAX_FAILURES, now + LOCKOUT), else_=None),
                    )
                )
        raise SignInRefused("auth.invalid", "用户名或密码不正确")
    assert found is not None
    with db.transaction() as session:
        user = session.get(User, found.id)
        if user is None or not user.active:  # deactivated while the password was checked
            raise SignInRefused("auth.invalid", "用户名或密码不正确")
        user.failed_logins = 0
        user.locked_until = None
        if rehashed and user.password_hash == found.password_hash:
            user.password_hash = rehashed
        token = secrets.token_urlsafe(32)
        session.add(
            StaffSession(
                token_hash=_hash(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE,
            )
        )
        return SignedIn(token, actor_for(session, user), user.username, user.language)


def resolve(db: Database, token: str | None) -> SignedIn | None:
    """The signed-in user behind a cookie, if the session is still alive."""
    if not token:
        return None
    now = db.clock.now()
    with db.transaction() as session:
        row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
        if row is None or row.ended_at is not None or now >= row.expires_at or now - row.last_seen_at > IDLE:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        return SignedIn(token, actor_for(session, user), user.username, user.language)


def sign_out(db: Database, token: str | None) -> None:
    if not token:
        return
    with db.transaction() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _hash(token), StaffSession.ended_at.is_(None))
            .values(ended_at=db.clock.now())
        )
