"""The admin's pages in a real browser: accounts (a verifier added, HR refused on them with the
reason, a password reset and used, the account deactivated), an agent's API token made and
revoked, a post edited; screenshots at office and phone widths."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from store.db import Database
from store.models import Post

from .browser_support import (
    DESKTOP,
    PASSWORD,
    PHONE,
    needs_chromium,
    new_page,
    no_sideways_scroll,
    shot,
    sign_in,
)
from .builders import add_admin, county
from .live_server import live_server

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server():
    made: dict[str, int] = {}

    def prepare(db: Database) -> None:
        c = county(db)
        add_admin(db)
        with db.transaction() as s:
            post = Post(village_id=c.village, title="护路员", monthly_subsidy=Decimal("600"), places=1)
            s.add(post)
            s.flush()
            made["post"], made["agent"] = post.id, c.agent.user_id

    with live_server(prepare=prepare) as live:
        live.made = made  # type: ignore[attr-defined]
        yield live


def signed_in(browser, server, username, password=PASSWORD, viewport=DESKTOP):
    return sign_in(new_page(browser, viewport), server, username, password=password, start="/login")


def test_the_admin_manages_a_verifiers_account(server, browser):
    page = signed_in(browser, server, "admin1")
    page.click("header nav >> text=用户")
    page.wait_for_url("**/admin/users")
    shot(page, "admin-users")
    page.click("text=开通账号")
    page.fill("input[name=username]", "zhuoma")
    page.fill("input[name=display_name]", "卓玛（阿东村）")
    page.check("input[name=roles][value=village]")
    page.check("#villages >> text=阿东村")
    shot(page, "admin-user-form")
    page.click("button.primary")
    page.wait_for_selector("#secret")
    first_password = page.inner_text("#secret-value").strip()
    assert len(first_password) == 12
    shot(page, "admin-user-added")
    page.click("text=修改角色和信息")
    page.check("input[name=roles][value=hr]")
    page.click("button.primary")
    alert = page.inner_text("p.error[role=alert]")
    assert "村级核实员和县人社局审核员须由不同的人担任" in alert
    assert page.get_attribute("p.error[role=alert]", "data-code") == "roles.village_with_hr"
    shot(page, "admin-roles-refused")

    page.click("text=返回")
    page.click("#reset-password")
    page.wait_for_selector("#secret")
    password = page.inner_text("#secret-value").strip()
    assert password != first_password
    user_url = page.url
    zhuoma = signed_in(browser, server, "zhuoma", password)
    assert "卓玛（阿东村）" in zhuoma.inner_text("header")

    page.goto(user_url.split("?")[0].removesuffix("/password"))
    page.click("#deactivate")
    page.wait_for_selector("text=账号已停用")
    assert "已停用" in page.inner_text("h1")
    shot(page, "admin-user-deactivated")
    zhuoma.goto(f"{server.url}/inbox")
    assert "/login" in zhuoma.url
    zhuoma.fill("input[name=username]", "zhuoma")
    zhuoma.fill("input[name=password]", password)
    zhuoma.click("button.primary")
    zhuoma.wait_for_selector("text=用户名或密码不正确")
    zhuoma.context.close()
    history = page.inner_text("#history")
    for action in ("开通账号", "重置密码", "停用"):
        assert action in history
    page.context.close()


def test_the_admin_makes_and_revokes_an_agents_token(server, browser):
    page = signed_in(browser, server, "admin1")
    page.goto(f"{server.url}/admin/users/{server.made['agent']}")
    page.fill("input[name=label]", "2027年清单上报")
    page.click("#new-token")
    page.wait_for_selector("#secret")
    token = page.inner_text("#secret-value").strip()
    assert token.startswith("fz_")
    shot(page, "admin-token-shown")
    api = f"{server.url}/api/v1/claims"
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page.goto(f"{server.url}/admin/users/{server.made['agent']}")
    assert token not in page.content()
    page.click(f"tr[data-token='{token[:10]}'] >> text=作废")
    page.wait_for_selector("text=接口令牌已作废")
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    shot(page, "admin-token-revoked")
    assert token not in server.output()
    page.context.close()


def test_the_admin_edits_a_post(server, browser):
    page = signed_in(browser, server, "admin1")
    page.goto(f"{server.url}/contracts")
    page.click(f"#post-{server.made['post']} >> text=修改")
    page.fill("input[name=monthly_subsidy]", "650")
    page.fill("input[name=places]", "2")
    page.click("button.primary")
    page.wait_for_selector("text=修改已保存")
    history = page.inner_text("#history")
    assert "600.00" in history and "650.00" in history
    shot(page, "admin-post-edit")
    page.context.close()


def test_the_admin_pages_work_on_a_phone(server, browser):
    page = signed_in(browser, server, "admin1", viewport=PHONE)
    for path, name in (
        ("/admin/users", "admin-users-phone"),
        ("/admin/users/new", "admin-user-form-phone"),
        (f"/admin/users/{server.made['agent']}", "admin-user-phone"),
        (f"/contracts/posts/{server.made['post']}/edit", "admin-post-edit-phone"),
    ):
        page.goto(f"{server.url}{path}")
        shot(page, name)
        no_sideways_scroll(page)
    page.context.close()
