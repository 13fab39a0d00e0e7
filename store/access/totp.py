"""The staff's optional second factor (TOTP, RFC 6238, with ``pyotp``): HR, finance and the admin
enrol an authenticator app (the secret shown once as text, an ``otpauth://`` link and a QR code),
confirm it with a code, and are asked for a code after their password from then on. The secret
is kept encrypted with the vault; a code is taken once (its time step is remembered, so the same
code cannot be replayed within its window); wrong codes are throttled per account; the admin
resets an account's TOTP when its phone is lost."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from workflow.clock import TZ
from workflow.errors import TransitionRefused, ValidationFailed
from workflow.roles import Actor, Role

from ..db import Database
from ..models import User
from . import user_log
from .models import UserTotp
from .throttle import Backoff, Throttled, clear, take_backoff

ISSUER = "Fuzhi"
ROLES = frozenset({Role.HR, Role.FINANCE, Role.ADMIN})  # who may enrol
DRIFT = 1  # a code of the time step before or after is taken too (a phone's clock a little off)
# Wrong codes, per account (only the holder of the password gets this far).
CODE_TRIES = Backoff(free=5, first=timedelta(seconds=30), cap=timedelta(minutes=15))


def _moment(now: datetime) -> datetime:
    return now.replace(tzinfo=TZ)  # the clock's naive Beijing time, as the instant it is


def matched_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within ``DRIFT`` steps of now), or None."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    otp = pyotp.TOTP(secret)
    for drift in range(-DRIFT, DRIFT + 1):
        moment = _moment(now) + timedelta(seconds=otp.interval * drift)
        if hmac.compare_digest(otp.at(moment), code):
            return int(otp.timecode(moment))
    return None


def required(session: Session, user_id: int) -> bool:
    """Whether the account asks for a code after the password."""
    return session.scalar(select(UserTotp.secret_enc).where(UserTotp.user_id == user_id)) is not None


def check_code(session: Session, db: Database, user_id: int, code: str) -> bool:
    """Whether ``code`` is the account's current code, not used before: its time step is
    recorded by a conditional UPDATE, so of two sign-ins with the same code only one passes."""
    secret = session.scalar(select(UserTotp.secret_enc).where(UserTotp.user_id == user_id))
    step = matched_step(db.vault.decrypt(secret), code, db.clock.now()) if secret else None
    if step is None:
        return False
    taken = session.execute(
        update(UserTotp)
        .where(UserTotp.user_id == user_id, or_(UserTotp.last_step.is_(None), UserTotp.last_step < step))
        .values(last_step=step)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def count_try(db: Database, user_id: int) -> None:
    """Count a code attempt before it is checked (``CODE_TRIES``), or refuse it (429)."""
    with db.transaction() as session:
        wait = take_backoff(session, f"totp:{user_id}", CODE_TRIES, db.clock.now())
    if wait is not None:
        raise Throttled("auth.throttled", f"验证码错误次数过多，请{wait}秒后再试", retry_after=wait)


def tries_cleared(session: Session, user_id: int) -> None:
    clear(session, f"totp:{user_id}")


@dataclass(frozen=True)
class Enrolment:
    """What the enrol page shows: whether TOTP is on, else the secret being enrolled."""

    enabled: bool
    secret: str = ""
    uri: str = ""
    qr_svg: str = ""  # an inline <svg> of the URI (no script, no external file)


def _may_enrol(actor: Actor) -> None:
    if not actor.roles & ROLES:
        raise TransitionRefused("totp.role", "只有人社局、财务和系统管理员可以启用动态验证码")


def totp_enrolment(db: Database, actor: Actor) -> Enrolment:
    """The account's TOTP: on, or a secret to enrol (made once and kept until confirmed)."""
    _may_enrol(actor)
    with db.transaction() as session:
        row = session.get(UserTotp, actor.user_id, with_for_update=True)
        if row is not None and row.secret_enc is not None:
            return Enrolment(enabled=True)
        if row is None:
            row = UserTotp(user_id=actor.user_id)
            session.add(row)
        if row.pending_enc is None:
            row.pending_enc = db.vault.encrypt(pyotp.random_base32())
        secret = db.vault.decrypt(row.pending_enc)
        username = session.scalar(select(User.username).where(User.id == actor.user_id)) or ""
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return Enrolment(False, " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), uri, svg)


def confirm_totp(db: Database, actor: Actor, code: str) -> None:
    """Turn TOTP on with the first code the app shows for the secret being enrolled."""
    _may_enrol(actor)
    now = db.clock.now()
    with db.transaction() as session:
        row = session.get(UserTotp, actor.user_id, with_for_update=True)
        if row is None or row.pending_enc is None:
            raise ValidationFailed("totp.not_enrolling", "请先打开启用页面，扫描二维码", field="code")
        step = matched_step(db.vault.decrypt(row.pending_enc), code, now)
        if step is None:
            raise ValidationFailed(
                "totp.wrong_code", "验证码不正确：请输入验证器上显示的6位数字", field="code"
            )
        row.secret_enc, row.pending_enc, row.last_step, row.confirmed_at = row.pending_enc, None, step, now
        user_log.record(
            session, db, actor, actor.user_id, "totp", [{"field": "totp", "old": "未启用", "new": "已启用"}]
        )


def reset_totp(db: Database, actor: Actor, user_id: int) -> bool:
    """The admin turns an account's TOTP off (a lost phone); False when it was not on."""
    if Role.ADMIN not in actor.roles:
        raise TransitionRefused("users.admin_only", "只有系统管理员可以管理用户账号")
    with db.transaction() as session:
        was_on = required(session, user_id)
        session.execute(delete(UserTotp).where(UserTotp.user_id == user_id))
        clear(session, f"totp:{user_id}")
        if was_on:
            user_log.record(
                session, db, actor, user_id, "totp", [{"field": "totp", "old": "已启用", "new": "已重置"}]
            )
        return was_on
