"""What the browser tests share: Debian's Chromium and its flags (conftest's ``browser`` fixture), signing in,
screenshots under test-artifacts/screenshots/ and the phone's no-sideways-scroll check."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP, PHONE = (1366, 768), (390, 844)
PASSWORD = "password-123"  # every account the builders make

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"
)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


# Run before each document's own scripts (Playwright's init scripts are exempt from the page's CSP):
# a script or style the Content-Security-Policy blocked is said on the console, which outlives a
# navigation, so a test can check that none was (csp_violations) — a blocked script fails silently.
CSP_WATCH = """document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""


def new_page(browser: Any, viewport: tuple[int, int] = DESKTOP, **context: Any) -> Any:
    """A page in a new context (its own cookies) at the viewport's size, in Chinese, its CSP
    violations collected (csp_violations)."""
    size = {"width": viewport[0], "height": viewport[1]}
    page = browser.new_context(viewport=size, locale="zh-CN", **context).new_page()
    watch_csp(page)
    return page


def watch_csp(page: Any) -> None:
    """Collect what the page's Content-Security-Policy blocks, as page.csp_violations."""
    page.csp_violations = []
    page.add_init_script(CSP_WATCH)
    page.on(
        "console",
        lambda m: (
            page.csp_violations.append(m.text)
            if "CSP violation" in m.text or "Content Security Policy" in m.text
            else None
        ),
    )


def csp_violations(page: Any) -> list[str]:
    return list(page.csp_violations)


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Wait until ``expression`` is true in the page. Playwright's wait_for_function evaluates its
    predicate with eval() inside the page, which the Content-Security-Policy (no 'unsafe-eval')
    refuses; page.evaluate goes through the debugger protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout}s: {expression}"
        page.wait_for_timeout(50)


def sign_in(
    page: Any,
    server: Any,
    username: str,
    *,
    password: str = PASSWORD,
    start: str = "/inbox",
    lands: str = "**/inbox",
) -> Any:
    """Open `start` (a page that asks who you are), sign in there and wait for the page it leads to."""
    page.goto(f"{server.url}{start}")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_url(lands)
    return page


def open_as(
    browser: Any, server: Any, username: str, viewport: tuple[int, int] = DESKTOP, **context: Any
) -> Any:
    """A new page signed in as `username` (the builders' password), on the inbox."""
    return sign_in(new_page(browser, viewport, **context), server, username)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any, slack: int = 10) -> None:
    """The page fits a phone's width (within `slack` pixels): it never scrolls sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0] + slack, f"{page.url} scrolls sideways on a phone ({width}px)"
