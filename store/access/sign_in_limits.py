"""Sign-in throttling: an exponential back-off per account and client address, and a limit per
address, in the shared limiter (``throttle``), so that every server process counts the same.

The attempt is reserved before the password is verified, so a concurrent burst gets no more
guesses evaluated than the limit. Nothing here locks an account: a stranger guessing from one
address delays only their own address, and the account's owner signs in from theirs as usual
(no hard lockout that anyone could trigger against a named staff member). The counters are
keyed by the name as typed, whether or not such an account exists, so a refusal (and its
wait) is the same for a name that exists and for one that does not."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import Database
from ..models import User
from .models import ThrottleBucket
from .throttle import Backoff, Throttled, Window, clear, give_back, take_backoff, take_window

# Per account and address: 5 guesses free, then 30 s, 1, 2, 4 … minutes, at most 15.
PER_ACCOUNT_AND_ADDRESS = Backoff(free=5, first=timedelta(seconds=30), cap=timedelta(minutes=15))
# Per address, whatever the names: a busy office behind one address signs in well within it
# (a successful sign-in is given back); a sweep across many names is not.
PER_ADDRESS = Window(limit=20, length=timedelta(minutes=10))


def address_of(host: str | None) -> str:
    """The client address a limit counts: an IPv6 address by its /64 (what one subscriber holds)."""
    try:
        ip = ipaddress.ip_address((host or "").strip())
    except ValueError:
        return (host or "unknown")[:45]
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def _account_key(username: str) -> str:
    # The name as typed (case folded), hashed: any length, no name kept in the table.
    return "signin:" + hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32] + ":"


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, reserved: the keys it was counted under."""

    username: str
    pair: str
    address: str


def reserve(db: Database, username: str, host: str | None) -> Attempt:
    """Count the attempt before the password is checked, or refuse it (``Throttled``, 429) with
    how long to wait. The two counters are taken in one short transaction, address first."""
    address = address_of(host)
    attempt = Attempt(username.strip(), _account_key(username) + address, "signin-addr:" + address)
    now = db.clock.now()
    with db.transaction() as session:
        wait = take_window(session, attempt.address, PER_ADDRESS, now)
        if wait is None:
            wait = take_backoff(session, attempt.pair, PER_ACCOUNT_AND_ADDRESS, now)
            if wait is not None:  # the address's count stands back for the refused attempt
                give_back(session, attempt.address)
    if wait is not None:
        raise Throttled("auth.throttled", f"登录尝试过于频繁，请{wait}秒后再试", retry_after=wait)
    return attempt


def failed(db: Database, attempt: Attempt) -> None:
    """A wrong password (or no such account): already counted; the account's own count of
    failures (shown to the admin) goes up. One statement whether or not the name exists."""
    with db.transaction() as session:
        session.execute(
            update(User)
            .where(User.username == attempt.username)
            .values(
                failed_logins=User.failed_logins + 1,
                # Not a lock: when this address may try again, for the admin's page.
                locked_until=select(ThrottleBucket.blocked_until)
                .where(ThrottleBucket.key == attempt.pair)
                .scalar_subquery(),
            )
        )


def succeeded(db: Database, attempt: Attempt) -> None:
    """The right password: the back-off of this account at this address starts again, and the
    attempt is given back to the address's window."""
    with db.transaction() as session:
        give_back(session, attempt.address)  # the address first, as ``reserve`` takes them
        clear(session, attempt.pair)
        session.execute(
            update(User).where(User.username == attempt.username).values(failed_logins=0, locked_until=None)
        )


def forgive(session: Session, username: str) -> int:
    """The admin clears every address's back-off on the account; how many there were."""
    return clear(session, _account_key(username), prefix=True)
