"""Staff sign-in: the password (throttled, ``sign_in_limits``), the TOTP code for an account that
has one (``totp``), and server-side sessions with idle and absolute timeouts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.errors import DomainError
from workflow.roles import Actor

from ..db import Database
from ..models import StaffSession, User
from . import sign_in_limits, totp
from .models import SignInChallenge
from .users import actor_for, check_password

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most once a minute
CODE_WAIT = timedelta(minutes=5)  # from the password to the TOTP code


class SignInRefused(DomainError):
    status = 401


@dataclass(frozen=True)
class SignedIn:
    token: str
    actor: Actor
    username: str
    language: str


@dataclass(frozen=True)
class CodeNeeded:
    """The password was right and the account has TOTP: the code is asked next, with this
    challenge (kept by the browser for ``CODE_WAIT``)."""

    challenge: str
    username: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(db: Database, username: str, password: str, address: str | None = None) -> SignedIn | CodeNeeded:
    """A new session (a new id every time, so a planted cookie is worthless), the second step
    for an account with TOTP (``CodeNeeded``), or a refusal: ``auth.invalid`` (401) alike for a
    wrong password and a name nobody has, ``auth.throttled`` (429) alike for both too.

    The attempt is counted first (``sign_in_limits``: per account and address, per address),
    then the password is checked between short transactions, holding no connection: argon2
    takes its time on purpose, and a busy county server should not keep a transaction (and on
    SQLite, nothing else) waiting on it. A name nobody has costs the same argon2 work."""
    attempt = sign_in_limits.reserve(db, username, address)
    with db.transaction() as session:
        found = session.execute(
            select(User.id, User.password_hash, User.active).where(User.username == attempt.username)
        ).first()
    ok, rehashed = check_password(
        found.password_hash if found is not None and found.active else None, password
    )
    if not ok or found is None:
        sign_in_limits.failed(db, attempt)
        raise SignInRefused("auth.invalid", "用户名或密码不正确")
    sign_in_limits.succeeded(db, attempt)
    with db.transaction() as session:
        user = session.get(User, found.id)
        if user is None or not user.active:  # deactivated while the password was checked
            raise SignInRefused("auth.invalid", "用户名或密码不正确")
        if rehashed and user.password_hash == found.password_hash:
            user.password_hash = rehashed
        if totp.required(session, user.id):
            return CodeNeeded(_challenge(session, db, user.id), user.username)
        return _new_session(session, db, user)


def _new_session(session: Session, db: Database, user: User) -> SignedIn:
    now = db.clock.now()
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


def _challenge(session: Session, db: Database, user_id: int) -> str:
    """The password was right: a short-lived token for the browser, until the code is given."""
    now = db.clock.now()
    token = secrets.token_urlsafe(32)
    session.add(
        SignInChallenge(token_hash=_hash(token), user_id=user_id, created_at=now, expires_at=now + CODE_WAIT)
    )
    return token


def finish_sign_in(db: Database, challenge: str | None, code: str) -> SignedIn:
    """The second step: the TOTP code for the challenge the password opened. A wrong code is
    counted against the account (``totp.CODE_TRIES``: only someone holding the password gets
    here); an expired or used challenge sends the user back to the password."""
    now = db.clock.now()
    with db.transaction() as session:
        row = session.scalar(
            select(SignInChallenge)
            .where(SignInChallenge.token_hash == _hash(challenge or ""))
            .with_for_update()
        )
        if row is None or row.used_at is not None or now >= row.expires_at:
            raise SignInRefused("auth.challenge_expired", "验证已超时，请重新输入用户名和密码")
        user_id = row.user_id
    totp.count_try(db, user_id)
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or not totp.check_code(session, db, user_id, code):
            raise SignInRefused("auth.totp_invalid", "动态验证码不正确或已使用过，请输入验证器上的新验证码")
        done = session.execute(
            update(SignInChallenge)
            .where(SignInChallenge.token_hash == _hash(challenge or ""), SignInChallenge.used_at.is_(None))
            .values(used_at=now)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]  # the same challenge finished twice at once
            raise SignInRefused("auth.challenge_expired", "验证已超时，请重新输入用户名和密码")
        totp.tries_cleared(session, user_id)
        return _new_session(session, db, user)


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
