"""A village verifier on a phone (390×844) in a real browser: the inbox, a case, a camera-sized
photo shrunk by the page before it is sent and shown as a thumbnail, a verification whose answer
is lost and the same form sent again (「已办理」), a return reason that survives an expired
session and a stale form token, and 「我办理的」; screenshots at phone and desktop width."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from store.db import Database

from .browser_support import (
    DESKTOP,
    PHONE,
    SHOTS,
    csp_violations,
    needs_chromium,
    new_page,
    no_sideways_scroll,
    shot,
    sign_in,
    wait_until,
)
from .builders import county, export_claim, person
from .live_server import live_server
from .village_support import photo

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server():
    made: dict[str, list[int]] = {}

    def prepare(db: Database) -> None:
        c = county(db)
        made["claims"] = [export_claim(db, c, person(db, c.village, name=f"格桑{i}")).id for i in range(5)]

    with live_server(prepare=prepare) as live:
        live.claims = made["claims"]  # type: ignore[attr-defined]
        live.files = Path(str(live.db.engine.url.database)).parent / "files"  # type: ignore[attr-defined]
        yield live


def open_as(browser, server, username, size=PHONE):  # type: ignore[no-untyped-def]
    phone = size == PHONE
    return sign_in(new_page(browser, size, is_mobile=phone, has_touch=phone), server, username)


def expire_sessions(server) -> None:  # type: ignore[no-untyped-def]
    moment = server.db.clock.now() - timedelta(minutes=31)  # half an hour in the pocket
    with server.db.engine.begin() as conn:
        conn.execute(text("UPDATE staff_session SET last_seen_at = :t"), {"t": moment})


def test_a_verifier_attaches_a_photo_then_verifies_and_a_lost_answer_is_pressed_again(
    server, browser, tmp_path
):
    claim_id = server.claims[0]
    page = open_as(browser, server, "village1")
    shot(page, "village-inbox-phone")
    no_sideways_scroll(page, slack=2)
    page.click(f"a[href='/claims/{claim_id}'] >> nth=0")
    page.wait_for_url(f"**/claims/{claim_id}")

    big = tmp_path / "IMG_0001.jpg"
    big.write_bytes(photo(4000, 3000))
    assert big.stat().st_size > 2_000_000  # as a phone's camera makes it
    page.select_option("form.upload select[name=kind]", "income_proof")
    page.locator("form.upload input[type=file]").last.set_input_files(str(big))
    wait_until(page, "document.querySelector('form.upload .preview').textContent.includes('KB')")
    assert "照片已压缩" in page.inner_text("form.upload .preview")
    assert page.locator("form.upload label.camera").is_visible()  # a phone offers its camera too
    # The screen as the officer sees it (a full-page shot in Chromium drops the touch emulation).
    page.locator("form.upload").scroll_into_view_if_needed()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "village-upload-phone.png"))
    page.click("form.upload button.primary")
    page.wait_for_selector("text=材料已上传")
    with server.db.engine.connect() as conn:
        size, sha, kind = conn.execute(
            text("SELECT size, sha256, kind FROM evidence WHERE claim_id = :c"), {"c": claim_id}
        ).one()
    assert 100_000 < size < 800_000, size  # a few hundred KB, not several MB
    stored = (server.files / sha[:2] / sha).read_bytes()
    with Image.open(BytesIO(stored)) as im:
        assert im.format == "JPEG" and max(im.size) == 1600
    assert kind == "income_proof"
    thumb = page.locator("ul.evidence img").first
    thumb.scroll_into_view_if_needed()
    wait_until(page, "document.querySelector('ul.evidence img').naturalWidth > 0")
    assert page.evaluate("document.querySelector('ul.evidence img').naturalWidth") == 240
    assert "务工收入证明" in page.inner_text("ul.evidence")
    no_sideways_scroll(page, slack=2)
    shot(page, "village-case-phone")
    assert csp_violations(page) == []  # evidence.js shrank the photo under the page's policy

    # 核实通过; the server takes it but the answer never reaches the phone.
    before = page.content()  # the page as the phone still shows it, with its form's token
    lost: list[str] = []

    def lose_the_answer(route):  # type: ignore[no-untyped-def]
        route.fetch()  # the server handles the form
        lost.append(route.request.url)
        route.abort("connectionreset")  # and the phone never hears back

    page.route("**/act", lose_the_answer)
    with contextlib.suppress(Exception):  # the navigation fails: that is the point
        page.click("button[value=verify]")
    page.wait_for_timeout(300)
    page.unroute("**/act")
    assert lost
    # Back on the same page (its document as it was, on this site's URL), the same button again.
    page.goto(f"{server.url}/claims/{claim_id}")
    page.set_content(before)
    page.click("button[value=verify]")
    page.wait_for_selector("text=已办理")
    body = page.inner_text("main")
    assert "已被其他人处理" not in body and "村级已核实" in page.inner_text("h1")
    assert body.count("核实通过") <= 2  # the button label is gone; one history line at most
    with server.db.engine.connect() as conn:
        verified = conn.execute(
            text("SELECT count(*) FROM claim_history WHERE claim_id = :c AND trigger = 'verify'"),
            {"c": claim_id},
        ).scalar_one()
    assert verified == 1
    shot(page, "village-done-phone")
    page.context.close()


def test_an_expired_session_keeps_the_typed_return_reason(server, browser):
    claim_id = server.claims[1]
    page = open_as(browser, server, "village1")
    page.goto(f"{server.url}/claims/{claim_id}")
    reason = "工资条照片看不清，请重新拍摄上传"
    page.fill("textarea[name=comment]", reason)
    expire_sessions(server)
    page.click("button[value=return]")
    page.wait_for_selector("text=登录已超时")
    assert "您填写的内容已保留" in page.inner_text("main")
    shot(page, "village-expired-phone")
    page.fill("input[name=username]", "village1")
    page.fill("input[name=password]", "password-123")
    page.click("button.primary")
    page.wait_for_url(f"**/claims/{claim_id}#restored")  # at the form, with the note
    assert page.input_value("textarea[name=comment]") == reason
    assert "已恢复您先前填写但未能提交的内容" in page.inner_text("main") and "退回" in page.inner_text(
        "#restored"
    )
    shot(page, "village-restored-phone")
    page.click("button[value=return]")
    page.wait_for_selector("text=已办理")
    assert "已退回" in page.inner_text("h1")
    page.context.close()


def test_a_stale_form_token_says_the_page_expired_and_keeps_the_reason(server, browser):
    claim_id = server.claims[2]
    page = open_as(browser, server, "village1")
    page.goto(f"{server.url}/claims/{claim_id}")
    page.fill("textarea[name=comment]", "缺少劳动合同")
    page.context.add_cookies([{"name": "fuzhi_csrf", "value": "0" * 128, "url": server.url}])  # lost, renewed
    page.click("button[value=return]")
    page.wait_for_selector("text=页面已过期，请刷新后重新提交")
    assert "无权" not in page.inner_text("main")
    shot(page, "village-csrf-phone")
    page.click("a.button >> text=返回原页面")
    page.wait_for_url(f"**/claims/{claim_id}#restored")
    assert page.input_value("textarea[name=comment]") == "缺少劳动合同"
    page.click("button[value=return]")
    page.wait_for_selector("text=已办理")
    page.context.close()


def test_mine_and_the_case_page_at_phone_and_desktop_width(server, browser):
    page = open_as(browser, server, "village1")
    page.click("nav >> text=我办理的")
    page.wait_for_url("**/mine")
    assert page.locator("tr[data-claim]").count() >= 1
    no_sideways_scroll(page, slack=2)
    shot(page, "village-mine-phone")
    page.context.close()
    desk = open_as(browser, server, "village1", DESKTOP)
    shot(desk, "village-inbox-desktop")
    desk.goto(f"{server.url}/mine")
    shot(desk, "village-mine-desktop")
    desk.goto(f"{server.url}/claims/{server.claims[0]}")
    wait_until(desk, "[...document.querySelectorAll('ul.evidence img')].every(i => i.complete)")
    shot(desk, "village-case-desktop")
    assert desk.locator("form.upload label.camera").is_hidden()  # no camera button on a desktop
    desk.context.close()
