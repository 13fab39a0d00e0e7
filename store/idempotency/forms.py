"""Staff forms sent twice (a weak connection, a second press): the token each rendered form
carries is taken by the first request of a user, which then keeps its outcome; the same form
sent again by the same user gets that outcome back instead of a second action."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from workflow.errors import ValidationFailed

from ..db import Database
from .keys import LEASE
from .models import FormToken

IN_PROGRESS = 0
# A first request still "in progress" after this long died with its server: a retry takes over.
ABANDONED_AFTER = LEASE  # the API keys' lease: both take over after the same time
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
BODY_MAX = 1024 * 1024  # a page kept as a form's outcome; a bigger one is answered by its location


@dataclass(frozen=True)
class FirstOutcome:
    """What the first request with a token did: ``status`` 0 while it is still being handled;
    a redirect's ``location`` or a page's ``body``; ``same`` False when the form sent now is
    not the form sent then (the token of a page used again for different fields)."""

    status: int
    location: str | None
    body: str
    content_type: str
    same: bool

    @property
    def pending(self) -> bool:
        return self.status == IN_PROGRESS


def check_token(token: str) -> str:
    if not TOKEN.fullmatch(token):
        raise ValidationFailed("validation.form_token", "表单标记无效，请刷新页面后重新提交", field="_once")
    return token


def take_form_token(db: Database, user_id: int, token: str, fingerprint: str) -> FirstOutcome | None:
    """``None``: the token was free and is now this request's, which must end with
    ``keep_form_outcome`` or ``release_form_token``. Otherwise what the first request did."""
    check_token(token)
    now = db.clock.now()
    try:
        with db.transaction() as session:
            session.add(
                FormToken(
                    user_id=user_id,
                    token=token,
                    request_hash=fingerprint,
                    status=IN_PROGRESS,
                    location=None,
                    body="",
                    content_type="",
                    created_at=now,
                )
            )
    except IntegrityError:
        pass
    else:
        return None
    with db.transaction() as session:
        row = session.scalar(select(FormToken).where(FormToken.user_id == user_id, FormToken.token == token))
        if row is None:  # the first request failed and gave the token back meanwhile: try again
            return take_form_token(db, user_id, token, fingerprint)
        if row.status == IN_PROGRESS and row.created_at < now - ABANDONED_AFTER:
            taken = session.execute(
                update(FormToken)
                .where(
                    FormToken.id == row.id,
                    FormToken.status == IN_PROGRESS,
                    FormToken.created_at == row.created_at,
                )
                .values(created_at=now, request_hash=fingerprint)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return None
        return FirstOutcome(
            row.status, row.location, row.body, row.content_type, same=row.request_hash == fingerprint
        )


def keep_form_outcome(
    db: Database,
    user_id: int,
    token: str,
    status: int,
    location: str | None = None,
    body: str = "",
    content_type: str = "",
) -> None:
    """The first request's outcome, replayed to the form sent again."""
    if len(body) > BODY_MAX:
        body = ""
    with db.transaction() as session:
        session.execute(
            update(FormToken)
            .where(FormToken.user_id == user_id, FormToken.token == token)
            .values(
                status=status, location=(location or "")[:500] or None, body=body, content_type=content_type
            )
        )


def release_form_token(db: Database, user_id: int, token: str) -> None:
    """The form was refused (nothing changed): the same form may be sent again and handled anew."""
    with db.transaction() as session:
        session.execute(delete(FormToken).where(FormToken.user_id == user_id, FormToken.token == token))
