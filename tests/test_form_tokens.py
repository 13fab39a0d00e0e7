"""The forms' one-time tokens over time: a page shown once (a new password) is never kept as a
form's outcome, and the sweep forgets tokens once no session can still send their form."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from store.access.users import create_user
from store.idempotency import keep_form_outcome, take_form_token
from store.idempotency.models import FormToken
from store.idempotency.scheduled import KEPT
from store.sweep.runner import run_sweep

from .page_support import PASSWORD, csrf_of, sign_in

SECRET = re.compile(r'<code class="mono" id="secret-value">([^<]+)</code>')


def test_a_password_shown_once_is_not_kept_and_a_second_sending_says_done_without_it(db, c) -> None:
    with db.transaction() as s:
        create_user(s, db, username="admin1", password=PASSWORD, roles=["admin"])
    admin = sign_in(db, "admin1")
    page = admin.client.get("/admin/users/new").text
    once = re.search(r'name="_once" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    fields = {
        "username": "zhuoma",
        "display_name": "卓玛",
        "roles": "village",
        "village_ids": str(c.village),
        "_csrf_token": csrf_of(page),
        "_once": once,
    }
    first = admin.client.post("/admin/users", data=fields, follow_redirects=False)
    assert first.status_code == 201
    shown = SECRET.search(first.text).group(1)  # type: ignore[union-attr]
    again = admin.client.post("/admin/users", data=fields, follow_redirects=False)
    assert again.status_code == 409 and "已办理" in again.text
    assert shown not in again.text
    with db.sessions() as s:
        bodies = s.scalars(select(FormToken.body)).all()
    assert bodies and not any(shown in b for b in bodies)


def test_the_sweep_forgets_tokens_no_session_can_still_send(db, c, clock) -> None:
    old = take_form_token(db, c.verifier.user_id, "a" * 24, "fp")
    assert old is None
    keep_form_outcome(db, c.verifier.user_id, "a" * 24, 303, "/claims/1?done=verify", "", "")
    clock.advance(seconds=int(KEPT.total_seconds()) - 60)
    assert take_form_token(db, c.verifier.user_id, "b" * 24, "fp") is None
    keep_form_outcome(db, c.verifier.user_id, "b" * 24, 303, "/claims/2?done=verify", "", "")
    clock.advance(minutes=2)
    report = run_sweep(db, chunk=1)
    assert report.counts["form_tokens_forgotten"] == 1
    with db.sessions() as s:
        assert s.scalars(select(FormToken.token)).all() == ["b" * 24]
        assert s.scalar(select(func.count()).select_from(FormToken)) == 1
    # Forgotten, the old form counts as new again; the kept one is still recognised.
    assert take_form_token(db, c.verifier.user_id, "a" * 24, "fp") is None
    kept = take_form_token(db, c.verifier.user_id, "b" * 24, "fp")
    assert kept is not None and kept.location == "/claims/2?done=verify"
