"""The events recorded outside the chain's own seal: a sign-in (success or refusal, an unknown
username included, never the password tried), a refusal of access, a download or export, a
look-up by ID number and an unmasked number shown; each with who, when, from where and the
outcome, through ``recording``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from workflow.errors import DomainError
from workflow.roles import Actor

from ..access.sessions import CodeNeeded, SignedIn, finish_sign_in, sign_in
from ..db import Database
from .recording import entry, note, record


def audited_sign_in(db: Database, username: str, password: str, *args: Any) -> SignedIn | CodeNeeded:
    """``access.sign_in`` with its outcome recorded: the username as typed (cut to 50
    characters, whether or not it exists), the refusal's code, never the password. A right
    password on an account with two-step sign-in is recorded as such (``auth.sign_in_password``)."""
    name = username.strip()[:50]
    try:
        signed = sign_in(db, username, password, *args)
    except DomainError as exc:
        refused = "denied" if exc.code in ("auth.locked", "auth.throttled") else "failed"
        record(
            db,
            entry(db.clock.now(), "auth.sign_in", outcome=refused, username=name, detail={"code": exc.code}),
        )
        raise
    if isinstance(signed, CodeNeeded):
        # The password was right; the session waits for the code (``auth.sign_in_code``).
        record(db, entry(db.clock.now(), "auth.sign_in_password", username=signed.username))
        return signed
    record(db, entry(db.clock.now(), "auth.sign_in", actor=signed.actor, username=signed.username))
    return signed


def audited_finish_sign_in(db: Database, challenge: str | None, code: str) -> SignedIn:
    """The second step (the TOTP code) with its outcome recorded; never the code."""
    try:
        signed = finish_sign_in(db, challenge, code)
    except DomainError as exc:
        record(
            db,
            entry(db.clock.now(), "auth.sign_in_code", outcome="failed", detail={"code": exc.code}),
        )
        raise
    record(db, entry(db.clock.now(), "auth.sign_in_code", actor=signed.actor, username=signed.username))
    return signed


def denied(db: Database, method: str, path: str, status: int) -> None:
    """A request refused (403): the page guard's, the API's, a stale form's."""
    record(
        db,
        entry(
            db.clock.now(),
            "access.denied",
            target=("path", path[:40]),
            outcome="denied",
            detail={"method": method, "status": status, "path": path[:200]},
        ),
    )


def downloaded(
    db: Database, action: str, target: tuple[str, object], outcome: str, detail: Mapping[str, Any]
) -> None:
    """A document downloaded, a list exported, the bank file fetched (the web app's routes)."""
    record(db, entry(db.clock.now(), action, target=target, outcome=outcome, detail=detail))


def exported(db: Database, what: str, outcome: str = "ok", detail: Mapping[str, Any] | None = None) -> None:
    downloaded(db, f"export.{what}"[:60], ("export", what), outcome, detail or {})


def looked_up(session: Session, db: Database, actor: Actor, person_id: int | None, via: str) -> None:
    """A person looked up by full ID number (the number itself is never kept)."""
    note(
        session,
        entry(
            db.clock.now(),
            "person.lookup",
            actor=actor,
            target=("person", person_id) if person_id is not None else None,
            outcome="ok" if person_id is not None else "failed",
            detail={"via": via},
        ),
    )


def unmasked(
    session: Session, db: Database, actor: Actor, what: str, target: tuple[str, object], count: int
) -> None:
    """Full ID or bank numbers shown or handed out (the bank file's accounts)."""
    note(
        session,
        entry(
            db.clock.now(), "pii.unmask", actor=actor, target=target, detail={"what": what, "count": count}
        ),
    )
