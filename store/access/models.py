"""The record of changes to staff accounts (written by ``user_log``, shown on a user's page), the
shared limiter's counters (``throttle``), and the second factor (TOTP) with its sign-in challenges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base


class UserChange(Base):
    """One immutable row per change to an account: who, when, what (each field old → new; a
    password or token never, only that it was set). UPDATE and DELETE are refused by a trigger."""

    __tablename__ = "user_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    # create / edit / deactivate / reactivate / unlock / password / token_create / token_revoke
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int] = mapped_column(Integer)  # 0: the command line or the system
    actor_name: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime)
    # [{"field": "roles", "old": "…", "new": "…"}, …]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class ThrottleBucket(Base):
    """One counter of the shared limiter (``throttle``): sign-in attempts per account and address
    and per address, look-ups per user. In the database, so every server process agrees."""

    __tablename__ = "throttle_bucket"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)  # attempts in the window or since success
    window_start: Mapped[datetime] = mapped_column(DateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)  # no attempt before then


class UserTotp(Base):
    """A staff member's second factor (TOTP, RFC 6238): the secret encrypted with the vault, one
    being enrolled until a code confirms it, and the last time step used (no replay)."""

    __tablename__ = "user_totp"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    secret_enc: Mapped[str | None] = mapped_column(Text)  # confirmed: asked at every sign-in
    pending_enc: Mapped[str | None] = mapped_column(Text)  # shown on the enrol page, not yet confirmed
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignInChallenge(Base):
    """A password accepted for an account with TOTP: the browser holds this (its hash is kept)
    for a few minutes, until the code is given; then a session is made."""

    __tablename__ = "sign_in_challenge"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
