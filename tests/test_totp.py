"""Two-step sign-in (TOTP, issue 14 accounts): HR, finance and the admin enrol from their page
and confirm with a code; from then on the password alone makes no session; a code is taken
once (the same code again is refused, within its window too); wrong codes are throttled; the
secret is stored encrypted; the admin resets it; a village verifier cannot enrol."""

from __future__ import annotations

import re

import pyotp
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from store.access.models import UserChange, UserTotp
from store.access.totp import CODE_TRIES, matched_step
from store.models import User
from web.app import create_app
from workflow.clock import TZ

from .page_support import PASSWORD, Browser, csrf_of, sign_in


def code_at(secret: str, clock, seconds: int = 0) -> str:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return pyotp.TOTP(secret).at(clock.now().replace(tzinfo=TZ) + timedelta(seconds=seconds))


def enrol(browser: Browser, clock) -> str:  # type: ignore[no-untyped-def]
    page = browser.get("/account/totp").text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert "otpauth://totp/Fuzhi:" in page and "<svg" in page
    wrong = browser.submit("/account/totp", "/account/totp", {"code": "000000"})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.text
    done = browser.submit("/account/totp", "/account/totp", {"code": code_at(secret, clock)})
    assert done.status_code == 303
    assert "两步验证已启用" in browser.get("/account/totp?done=on").text
    return secret


def password_step(db, username: str = "hr1") -> tuple[TestClient, object]:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(db, secure_cookies=False))
    client.__enter__()
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    return client, r


def code_step(client: TestClient, code: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login/code",
        data={"code": code, "_csrf_token": csrf_of(client.get("/login").text)},
        follow_redirects=False,
    )


def test_enrol_then_the_password_alone_makes_no_session_and_a_code_is_taken_once(db, c, clock) -> None:  # type: ignore[no-untyped-def]
    secret = enrol(sign_in(db, "hr1"), clock)
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == "hr1"))
        row = s.get(UserTotp, uid)
        assert row.secret_enc and secret not in row.secret_enc and row.pending_enc is None
        assert db.vault.decrypt(row.secret_enc) == secret
        assert [h.action for h in s.scalars(select(UserChange).where(UserChange.user_id == uid))][
            -1
        ] == "totp"
    clock.advance(seconds=30)  # the enrolment's code is used: a sign-in takes the next one
    client, r = password_step(db)
    assert r.status_code == 200 and "动态验证码" in r.text  # type: ignore[attr-defined]
    assert "fuzhi_session" not in r.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    assert client.get("/inbox", follow_redirects=False).status_code in (302, 303)
    code = code_at(secret, clock)
    ok = code_step(client, code)
    assert ok.status_code == 303 and ok.headers["location"] == "/inbox"
    assert client.get("/inbox", follow_redirects=False).status_code == 200
    # The same code again (an onlooker, a replayed request), within its 30 s: refused.
    other, _ = password_step(db)
    replay = code_step(other, code)
    assert replay.status_code == 401 and "已使用过" in replay.text
    clock.advance(seconds=30)
    assert code_step(other, code_at(secret, clock)).status_code == 303


def test_wrong_codes_are_throttled_and_a_challenge_expires(db, c, clock) -> None:  # type: ignore[no-untyped-def]
    secret = enrol(sign_in(db, "finance1"), clock)
    client, _ = password_step(db, "finance1")
    answers = [
        code_step(client, "123456" if i % 2 else "654321").status_code for i in range(CODE_TRIES.free + 1)
    ]
    assert answers == [401] * CODE_TRIES.free + [429]
    clock.advance(minutes=10)  # past the wait, and past the challenge's five minutes
    late = code_step(client, code_at(secret, clock))
    assert late.status_code == 401 and "验证已超时" in late.text and 'name="password"' in late.text


def test_the_admin_resets_it_and_a_village_verifier_cannot_enrol(db, c, clock) -> None:  # type: ignore[no-untyped-def]
    from .builders import add_admin

    enrol(sign_in(db, "hr1"), clock)
    add_admin(db)
    admin = sign_in(db, "admin1")
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == "hr1"))
    assert "重置两步验证" in admin.get(f"/admin/users/{uid}").text
    r = admin.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/totp-reset", {})
    assert r.headers["location"].endswith("done=totp_reset")
    _, again = password_step(db)
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert sign_in(db, "village1").get("/account/totp").status_code == 403


def test_only_the_current_steps_code_matches(clock) -> None:  # type: ignore[no-untyped-def]
    secret = pyotp.random_base32()
    now = clock.now()
    step = matched_step(secret, code_at(secret, clock), now)
    assert step is not None and matched_step(secret, code_at(secret, clock, -30), now) == step - 1
    assert matched_step(secret, code_at(secret, clock, 90), now) is None
    for bad in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert matched_step(secret, bad, now) is None


@pytest.mark.parametrize("username", ["hr1"])
def test_end_sessions_from_the_admins_page(db, c, username) -> None:  # type: ignore[no-untyped-def]
    from .builders import add_admin

    hr = sign_in(db, username)
    add_admin(db)
    admin = sign_in(db, "admin1")
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
    r = admin.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/sessions", {})
    assert r.headers["location"].endswith("done=signed_out")
    assert hr.get("/inbox", follow_redirects=False).status_code in (302, 303)
