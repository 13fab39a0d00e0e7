"""The admin's user pages and the services behind them: adding accounts (a password shown once),
roles no one person may hold together, deactivating (sessions end), unlocking, resetting a
password, agents' API tokens (shown once, revoked ones refused), the last admin kept, and the
record of every change."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cli import main
from store.access import AccessInput, change_access, set_active
from store.access.models import UserChange
from store.access.users import create_user
from store.models import ApiToken, Organisation, StaffSession, User
from store.people.org_models import OrganisationHistory
from workflow.errors import RuleViolation

from .page_support import PASSWORD, Browser, sign_in

SECRET = re.compile(r'<code class="mono" id="secret-value">([^<]+)</code>')


def user_id(db, username: str) -> int:
    with db.sessions() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def log_of(db, username: str) -> list[UserChange]:
    with db.sessions() as s:
        uid = s.scalars(select(User.id).where(User.username == username)).one()
        return list(s.scalars(select(UserChange).where(UserChange.user_id == uid).order_by(UserChange.id)))


def try_sign_in(db, username: str, password: str):  # type: ignore[no-untyped-def]
    from litestar.testing import TestClient

    from web.app import create_app

    client = TestClient(create_app(db, secure_cookies=False))
    client.__enter__()
    browser = Browser(client)
    return browser, browser.submit("/login", "/login", {"username": username, "password": password})


def add(admin: Browser, **fields):  # type: ignore[no-untyped-def]
    return admin.submit("/admin/users/new", "/admin/users", fields)


# ------------------------------------------------------------------ roles held together


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        (["village", "hr"], "roles.village_with_hr"),
        (["hr", "finance"], "roles.hr_with_finance"),
        (["village", "finance"], "roles.village_with_finance"),
        (["agent", "hr"], "roles.agent_with_county_staff"),
        (["agent", "finance"], "roles.agent_with_county_staff"),
        (["agent", "admin"], "roles.agent_with_county_staff"),
        (["agent", "village"], "roles.agent_with_village"),  # a labour broker's agent
    ],
)
def test_roles_the_process_needs_two_people_for_are_refused_on_one_account(db, c, roles, code):
    with db.transaction() as s, pytest.raises(RuleViolation) as refused:
        create_user(
            s, db, username="two", password=PASSWORD, roles=roles, village_ids=[c.village], org_id=c.org
        )
    assert refused.value.code == code
    assert "不同的人" in refused.value.message or "经办人" in refused.value.message
    with db.sessions() as s:
        assert s.scalar(select(User).where(User.username == "two")) is None


def test_a_village_committees_clerk_may_verify_that_village_and_no_other(db, c):
    with db.transaction() as s:
        committee = Organisation(name="阿东村民委员会", kind="village_committee", village_id=c.village)
        s.add(committee)
        s.flush()
        create_user(
            s, db, username="cwh", password=PASSWORD, roles=["agent", "village"], village_ids=[c.village],
            org_id=committee.id,
        )  # fmt: skip
        with pytest.raises(RuleViolation) as refused:
            create_user(
                s, db, username="cwh2", password=PASSWORD, roles=["agent", "village"],
                village_ids=[c.village, c.other_village], org_id=committee.id,
            )  # fmt: skip
    assert refused.value.code == "roles.agent_with_village"


def test_fuzhi_user_add_obeys_the_same_rule(db, db_url, c, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    args = ["user", "add", "both", "--roles", "hr,finance", "--password", "long-enough-1"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "roles.hr_with_finance" in err and "须由不同的人担任" in err
    assert main(["user", "add", "cli_hr", "--roles", "hr", "--password", "long-enough-1"]) == 0
    (made,) = log_of(db, "cli_hr")
    assert (made.action, made.actor_id, made.actor_name) == ("create", 0, "命令行")


def test_adding_hr_to_a_village_verifier_is_refused_on_the_page_with_the_reason(db, c, admin):
    browser = sign_in(db, "admin1")
    vid = user_id(db, "village1")
    r = browser.submit(
        f"/admin/users/{vid}/edit",
        f"/admin/users/{vid}",
        {"display_name": "village1", "roles": ["village", "hr"], "village_ids": [str(c.village)]},
    )
    assert r.status_code == 422
    assert 'data-code="roles.village_with_hr"' in r.text
    assert "村级核实员和县人社局审核员须由不同的人担任" in r.text
    with db.sessions() as s:
        assert s.scalars(select(User.roles).where(User.id == vid)).one() == "village"
    assert [h.action for h in log_of(db, "village1")] == ["create"]


# ------------------------------------------------------------------ adding, listing


def test_the_admin_adds_a_verifier_and_the_password_is_shown_once(db, c, admin):
    browser = sign_in(db, "admin1")
    r = add(browser, username="zhuoma", display_name="卓玛", roles="village", village_ids=str(c.village))
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    password = SECRET.search(r.text).group(1)
    assert len(password) == 12 and "只显示这一次" in r.text
    uid = user_id(db, "zhuoma")
    again = browser.get(f"/admin/users/{uid}").text
    assert password not in again and "阿东村" in again
    with db.sessions() as s:
        stored = s.get(User, uid)
        assert stored.password_hash.startswith("$argon2") and password not in stored.password_hash
    (made,) = log_of(db, "zhuoma")
    assert made.action == "create" and made.actor_name == "管理员"
    assert {"field": "village_ids", "old": "", "new": "阿东村"} in made.changes
    assert password not in str(made.changes)
    _, signed = try_sign_in(db, "zhuoma", password)
    assert signed.status_code == 303


def test_an_initial_password_may_be_set_instead(db, c, admin):
    browser = sign_in(db, "admin1")
    short = add(browser, username="li", roles="finance", password_mode="set", password="short")
    assert short.status_code == 422 and "密码至少12位" in short.text
    r = add(browser, username="li", roles="finance", password_mode="set", password="li-password-1")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=added")
    assert try_sign_in(db, "li", "li-password-1")[1].status_code == 303


def test_an_agent_needs_an_organisation_and_a_username_is_taken_once(db, c, admin):
    browser = sign_in(db, "admin1")
    r = add(browser, username="broker7", roles="agent")
    assert r.status_code == 422 and "须属于一个申报单位" in r.text and 'aria-invalid="true"' in r.text
    assert add(browser, username="hr1", roles="hr").status_code == 422


def test_the_list_searches_filters_and_pages(db, c, admin):
    with db.transaction() as s:
        for n in range(55):
            create_user(s, db, username=f"clerk{n:02d}", password=PASSWORD, roles=["finance"])
    browser = sign_in(db, "admin1")
    first = browser.get("/admin/users?role=finance").text
    assert "共56个账号" in first and "第1/2页" in first
    assert first.count('<td class="mono"><a href="/admin/users/') == 50
    second = browser.get("/admin/users?role=finance&page=2").text
    assert second.count('<td class="mono"><a href="/admin/users/') == 6
    found = browser.get("/admin/users?q=clerk07").text
    assert "共1个账号" in found and "clerk07" in found
    agents = browser.get("/admin/users?role=agent").text
    assert "德钦劳务经纪人扎西" in agents and "迪庆人力资源服务公司" in agents
    hr = browser.get("/admin/users?role=hr").text
    assert "hr1" in hr and "hr2" in hr and "finance1" not in hr and "共2个账号" in hr


# ------------------------------------------------------------------ deactivate, unlock, password


def test_deactivating_ends_the_sessions_refuses_sign_in_and_revokes_tokens(db, c, admin):
    hr = sign_in(db, "hr1")
    assert hr.get("/inbox", follow_redirects=False).status_code == 200
    browser = sign_in(db, "admin1")
    uid = user_id(db, "hr1")
    r = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/active", {"active": "0"})
    assert r.status_code == 303
    assert hr.get("/inbox", follow_redirects=False).status_code in (302, 303)
    with db.sessions() as s:
        assert all(
            row.ended_at is not None
            for row in s.scalars(select(StaffSession).where(StaffSession.user_id == uid))
        )
    assert try_sign_in(db, "hr1", PASSWORD)[1].status_code == 401
    page = browser.get(f"/admin/users/{uid}").text
    assert "已停用" in page and "停用" in page
    browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/active", {"active": "1"})
    assert try_sign_in(db, "hr1", PASSWORD)[1].status_code == 303
    assert [h.action for h in log_of(db, "hr1")] == ["create", "deactivate", "reactivate"]


def test_the_last_active_admin_is_kept(db, c, admin):
    browser = sign_in(db, "admin1")
    me = admin.user_id
    r = browser.submit(f"/admin/users/{me}", f"/admin/users/{me}/active", {"active": "0"})
    assert r.status_code == 422 and "最后一个在用的系统管理员" in r.text
    r = browser.submit(
        f"/admin/users/{me}/edit", f"/admin/users/{me}", {"display_name": "管理员", "roles": "hr"}
    )
    assert r.status_code == 422 and 'data-code="users.last_admin"' in r.text
    with db.sessions() as s:
        assert s.get(User, me).active and s.get(User, me).roles == "admin"
    with db.transaction() as s:
        create_user(s, db, username="admin2", password=PASSWORD, roles=["admin"])
    assert (
        browser.submit(f"/admin/users/{me}", f"/admin/users/{me}/active", {"active": "0"}).status_code == 303
    )
    second = sign_in(db, "admin2")
    other = user_id(db, "admin2")
    with pytest.raises(RuleViolation) as refused:
        set_active(db, admin, other, False)  # the deactivated admin1 no longer counts
    assert refused.value.code == "users.last_admin"
    assert second.get("/admin/users").status_code == 200


def test_unlock_clears_the_lockout(db, c, admin):
    for _ in range(5):
        assert try_sign_in(db, "finance1", "wrong-password")[1].status_code == 401
    refused = try_sign_in(db, "finance1", PASSWORD)[1]  # from the same address: wait first
    assert (
        refused.status_code == 429 and "过于频繁" in refused.text and int(refused.headers["retry-after"]) > 0
    )
    browser = sign_in(db, "admin1")
    uid = user_id(db, "finance1")
    assert "已锁定" in browser.get("/admin/users?status=locked").text
    r = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/unlock", {})
    assert r.headers["location"].endswith("done=unlocked")
    assert try_sign_in(db, "finance1", PASSWORD)[1].status_code == 303
    (unlocked,) = [h for h in log_of(db, "finance1") if h.action == "unlock"]
    assert unlocked.changes[0]["old"].startswith("连续登录失败5次，须等待至")
    again = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/unlock", {})
    assert again.headers["location"].endswith("done=not_locked")


def test_a_reset_password_is_shown_once_and_ends_the_old_sessions(db, c, admin):
    village = sign_in(db, "village1")
    browser = sign_in(db, "admin1")
    uid = user_id(db, "village1")
    r = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/password", {"password_mode": "generate"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    password = SECRET.search(r.text).group(1)
    assert village.get("/inbox", follow_redirects=False).status_code in (302, 303)
    assert try_sign_in(db, "village1", PASSWORD)[1].status_code == 401
    assert try_sign_in(db, "village1", password)[1].status_code == 303
    r = browser.submit(
        f"/admin/users/{uid}",
        f"/admin/users/{uid}/password",
        {"password_mode": "set", "password": "new-pass-123"},
    )
    assert r.status_code == 303 and try_sign_in(db, "village1", "new-pass-123")[1].status_code == 303
    logged = [h.changes for h in log_of(db, "village1") if h.action == "password"]
    assert len(logged) == 2 and password not in str(logged) and "new-pass-123" not in str(logged)


# ------------------------------------------------------------------ API tokens


def test_a_token_is_shown_once_kept_as_a_hash_and_refused_once_revoked(db, c, admin, caplog):
    browser = sign_in(db, "admin1")
    uid = c.agent.user_id
    r = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/tokens", {"label": "2027年清单"})
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    token = SECRET.search(r.text).group(1)
    assert token.startswith("fz_")
    page = browser.get(f"/admin/users/{uid}").text
    assert token not in page and token[:10] in page and "2027年清单" in page
    with db.sessions() as s:
        (row,) = s.scalars(select(ApiToken).where(ApiToken.user_id == uid)).all()
        assert row.token_hash != token and token not in row.token_hash and row.prefix == token[:10]
    assert token not in str([h.changes for h in log_of(db, "agent1")])
    assert token not in caplog.text
    api = browser.client
    ok = api.get("/api/v1/claims", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    r = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/tokens/{row.id}/revoke", {})
    assert r.status_code == 303
    refused = api.get("/api/v1/claims", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert "已作废" in browser.get(f"/admin/users/{uid}").text
    assert [h.action for h in log_of(db, "agent1")][-2:] == ["token_create", "token_revoke"]


def test_only_an_agent_gets_a_token(db, c, admin):
    browser = sign_in(db, "admin1")
    uid = user_id(db, "hr1")
    r = browser.submit(f"/admin/users/{uid}", f"/admin/users/{uid}/tokens", {"label": "x"})
    assert r.status_code == 422 and "只有申报主体经办人可以创建接口令牌" in r.text


def test_moving_an_agent_to_another_organisation_revokes_its_tokens_and_both_records_say_so(db, c, admin):
    from store.access import issue_token

    token = issue_token(db, admin, c.agent.user_id, "旧令牌")
    changed = change_access(
        db,
        admin,
        c.agent.user_id,
        AccessInput(display_name="agent1", roles=("agent",), org_id=c.other_org),
    )
    assert changed
    with db.sessions() as s:
        assert (
            s.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == c.agent.user_id)).one()
            is not None
        )
        moved = s.scalars(
            select(OrganisationHistory).where(OrganisationHistory.action == "agent_moved")
        ).all()
    assert {h.organisation_id for h in moved} == {c.org, c.other_org}
    edit = log_of(db, "agent1")[-1]
    assert {"field": "org_id", "old": "德钦劳务经纪人扎西", "new": "迪庆人力资源服务公司"} in edit.changes
    assert any(ch["field"] == "token" and ch["new"].startswith("已作废") for ch in edit.changes)
    assert token not in str(edit.changes)


# ------------------------------------------------------------------ access, the record


def test_only_the_admin_may_act_on_accounts(db, c, admin):
    hr = sign_in(db, "hr1")
    uid = user_id(db, "finance1")
    page = hr.client.get("/inbox").text
    from .page_support import csrf_of

    token = csrf_of(page)
    for path, fields in (
        (f"/admin/users/{uid}/active", {"active": "0"}),
        (f"/admin/users/{uid}/unlock", {}),
        (f"/admin/users/{uid}/password", {"password_mode": "generate"}),
        ("/admin/users", {"username": "x", "roles": "hr"}),
    ):
        r = hr.client.post(path, data={**fields, "_csrf_token": token}, follow_redirects=False)
        assert r.status_code == 403, path
    with db.sessions() as s:
        assert s.get(User, uid).active and s.scalar(select(User).where(User.username == "x")) is None


def test_the_users_page_shows_who_changed_what_and_when(db, c, admin):
    browser = sign_in(db, "admin1")
    uid = user_id(db, "village1")
    r = browser.submit(
        f"/admin/users/{uid}/edit",
        f"/admin/users/{uid}",
        {
            "display_name": "扎西（升平镇）",
            "roles": "village",
            "village_ids": [str(c.village), str(c.other_village)],
        },
    )
    assert r.headers["location"].endswith("done=edited")
    page = browser.get(f"/admin/users/{uid}").text
    history = page.split('id="history"')[1]
    assert "管理员" in history and db.clock.now().strftime("%Y-%m-%d") in history
    assert "负责的行政村" in history and "阿东村、巨水村" in history and "扎西（升平镇）" in history
    unchanged = browser.submit(
        f"/admin/users/{uid}/edit",
        f"/admin/users/{uid}",
        {
            "display_name": "扎西（升平镇）",
            "roles": "village",
            "village_ids": [str(c.village), str(c.other_village)],
        },
    )
    assert unchanged.headers["location"].endswith("done=unchanged")


@pytest.mark.postgres
def test_two_admins_deactivating_each_other_at_once_leave_one_on_postgres(db, c, admin):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from workflow.errors import DomainError

    with db.transaction() as s:
        second = create_user(s, db, username="admin2", password=PASSWORD, roles=["admin"]).id
    barrier = threading.Barrier(2)

    def deactivate(target: int) -> str:
        barrier.wait()
        try:
            set_active(db, admin, target, False)
            return "ok"
        except DomainError as refused:
            return refused.code

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(deactivate, [admin.user_id, second]))
    assert outcomes == ["ok", "users.last_admin"]
    with db.sessions() as s:
        assert len(s.scalars(select(User).where(User.active.is_(True), User.roles == "admin")).all()) == 1
