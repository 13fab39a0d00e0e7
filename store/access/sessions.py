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
from .users import actor_for, authenticate

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
    """A new session (a new id every time, so a planted cookie is worthless) or a refusal."""
    now = db.clock.now()
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise SignInRefused("auth.locked", "连续登录失败次数过多，账号已临时锁定，请15分钟后再试")
    with db.transaction() as session:
        checked = authenticate(session, username.strip(), password)
        if checked is None and user is not None:
            # Counted in the database (committed here), so every server process agrees.
            failures = User.failed_logins + 1
            session.execute(
                update(User)
                .where(User.id == user.id)
                .values(
                    failed_logins=failures,
                    locked_until=case((failures >= MAX_FAILURES, now + LOCKOUT), else_=None),
                )
            )
    if checked is None:
        raise SignInRefused("auth.invalid", "用户名或密码不正确")
    with db.transaction() as session:
        checked = session.get(User, checked.id)
        assert checked is not None
        checked.failed_logins = 0
        checked.locked_until = None
        token = secrets.token_urlsafe(32)
        session.add(
            StaffSession(
                token_hash=_hash(token),
                user_id=checked.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + ABSOLUTE,
            )
        )
        return SignedIn(token, actor_for(session, checked), checked.username, checked.language)


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
