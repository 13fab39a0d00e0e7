"""Two-step sign-in in a real browser: HR turns it on from the page (the QR code drawn, the key
shown), signs out, and signs in again with the password and then the authenticator's code."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from workflow.clock import TZ

from .browser_support import csp_violations, needs_chromium, new_page, shot, sign_in
from .builders import county
from .conftest import TEST_NOW
from .live_server import live_server

pytestmark = needs_chromium


def code(secret: str, seconds: int = 0) -> str:
    """The code an authenticator shows at the server's (frozen) moment, or a step later."""
    return pyotp.TOTP(secret).at(TEST_NOW.replace(tzinfo=TZ) + timedelta(seconds=seconds))


@pytest.fixture(scope="module")
def server():
    with live_server(prepare=county) as live:
        yield live


def test_hr_turns_on_two_step_sign_in_and_signs_in_with_a_code(server, browser):
    page = sign_in(new_page(browser), server, "hr1")
    page.click("header >> text=两步验证")
    page.wait_for_url("**/account/totp")
    assert page.locator("#totp svg").count() == 1  # the QR code, drawn on the server
    secret = page.inner_text("#totp-secret").replace(" ", "")
    assert page.inner_text("#totp-uri").startswith("otpauth://totp/Fuzhi:hr1?secret=")
    shot(page, "totp-enrol")
    page.fill("input[name=code]", code(secret))
    page.click("#totp-confirm")
    page.wait_for_selector("#totp-on")
    assert "两步验证已启用" in page.inner_text("#totp-on")
    page.click("text=退出")
    page.wait_for_url("**/login")

    page.goto(f"{server.url}/inbox")
    page.fill("input[name=username]", "hr1")
    page.fill("input[name=password]", "password-123")
    page.click("button.primary")
    page.wait_for_selector("input[name=code]")
    assert "/inbox" not in page.url
    shot(page, "totp-code")
    page.fill("input[name=code]", code(secret))  # the code just used to enrol: refused
    page.click("button.primary")
    page.wait_for_selector("text=已使用过")
    page.fill("input[name=code]", code(secret, 30))  # the next step's code
    page.click("button.primary")
    page.wait_for_url("**/inbox")
    assert csp_violations(page) == []
