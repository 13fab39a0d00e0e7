"""A county starts from an empty database: ``fuzhi setup`` migrates it and creates the first
admin, once; every page the admin may open answers on that empty database, with or without a
policy year; and the first policy year is created from the plan's figures."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from cli import main
from store.db import Database
from store.models import PolicyYear, User
from store.policy.models import PolicyChange, PolicyParamsVersion
from workflow.rules.figures import BUREAU_FIGURES, FIGURES
from workflow.rules.params import plan_defaults

from .conftest import TEST_SECRET, is_postgres
from .page_support import sign_in
from .test_page_access import PAGES

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Baima-snow-1"


def fuzhi(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The ``fuzhi`` command of this checkout, as a county's operator runs it (no terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "FUZHI_SECRET_KEY": TEST_SECRET.decode(),
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def empty(tmp_path, clock) -> tuple[str, Database]:
    """A database file nobody has migrated yet, and its handle once ``fuzhi setup`` made it."""
    url = f"sqlite:///{tmp_path / 'county.db'}"
    return url, Database.connect(url, TEST_SECRET, clock)


@pytest.fixture
def set_up(empty, template_db, monkeypatch) -> tuple[str, Database]:
    """``empty`` after ``fuzhi setup --username chief`` (run in this process, no terminal); a
    copy of the suite's migrated file to start from, where there is one (setup's own
    migration is the subprocess tests')."""
    url, db = empty
    if not is_postgres():
        shutil.copy(template_db, url.removeprefix("sqlite:///"))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", TEST_SECRET.decode())
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["setup", "--username", "chief", "--password", PASSWORD]) == 0
    yield url, db
    db.engine.dispose()


def users(db: Database) -> list[tuple[str, str]]:
    with db.sessions() as s:
        return [(u.username, u.roles) for u in s.scalars(select(User).order_by(User.id))]


def test_setup_migrates_an_empty_database_and_creates_the_first_admin_once(empty):
    url, db = empty
    done = fuzhi(url, "setup", "--username", "chief", "--password", PASSWORD, "--name", "县人社局管理员")
    assert done.returncode == 0, done.stderr
    assert "已创建第一位系统管理员 chief" in done.stdout and "导入" in done.stdout
    assert users(db) == [("chief", "admin")]
    browser = sign_in(db, "chief", PASSWORD)
    assert "县人社局管理员" in browser.get("/inbox").text

    again = fuzhi(url, "setup", "--username", "second", "--password", PASSWORD)
    assert again.returncode == 2 and "已有系统管理员（chief）" in again.stderr
    assert users(db) == [("chief", "admin")]
    db.engine.dispose()


def test_setup_without_a_terminal_or_a_password_prints_a_generated_one(empty):
    url, db = empty
    done = fuzhi(url, "setup", "--username", "chief")
    assert done.returncode == 0, done.stderr
    password = re.search(r"初始密码（只显示这一次）: (\S+)", done.stdout)
    assert password is not None
    sign_in(db, "chief", password.group(1))
    no_name = fuzhi(f"sqlite:///{Path(url[10:]).with_name('other.db')}", "setup")
    assert no_name.returncode == 2 and "--username" in no_name.stderr
    db.engine.dispose()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--username", "x y", "--password", PASSWORD], "validation.username"),
        (["--username", "chief", "--password", "short"], "validation.password"),
    ],
)
def test_setup_refuses_a_bad_username_or_password_in_chinese(empty, monkeypatch, capsys, args, code):
    url, db = empty
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["setup", *args]) == 2
    err = capsys.readouterr().err
    assert code in err and re.search(r"[\u4e00-\u9fff]", err)
    assert users(db) == []
    db.engine.dispose()


def admin_pages() -> list[str]:
    """Every page of the access matrix the admin opens that needs no record, and the pages of a
    county's start: imports and their templates, the policy years."""
    plain = [p for p, roles in PAGES.items() if "admin" in roles and "{" not in p]
    return [*plain, "/imports", "/imports/template/places", "/imports/template/persons", "/admin/policy"]


@pytest.mark.parametrize("years", ["as migrated", "no policy year"])
def test_every_admin_page_answers_on_the_empty_database(set_up, years):
    _url, db = set_up
    if years == "no policy year":
        with db.transaction() as s:
            s.execute(update(PolicyYear).values(current_version_id=None))
            s.execute(delete(PolicyChange))
            s.execute(delete(PolicyParamsVersion))
            s.execute(delete(PolicyYear))
    browser = sign_in(db, "chief", PASSWORD)
    pages = admin_pages()
    assert {"/inbox", "/dashboard", "/contracts", "/admin/settings", "/organisations"} <= set(pages)
    for path in pages:
        response = browser.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        assert "Internal Server Error" not in response.text


def test_the_first_policy_year_is_created_from_the_plans_figures_on_the_page(set_up, clock):
    _url, db = set_up
    clock.current = datetime(2027, 1, 4, 9, 0)  # a year the migration does not seed
    with db.transaction() as s:
        s.execute(update(PolicyYear).values(current_version_id=None))
        s.execute(delete(PolicyParamsVersion))
        s.execute(delete(PolicyYear))
    browser = sign_in(db, "chief", PASSWORD)
    page = browser.get("/admin/policy")
    assert 'data-missing-year="2027"' in page.text and "按方案标准创建该年度参数" in page.text
    assert 'id="create-year"' in page.text and 'id="copy-year"' not in page.text
    assert 'name="year" value="2027"' in page.text
    created = browser.submit("/admin/policy", "/admin/policy/create", {"year": "2027"})
    assert (
        created.status_code == 303 and created.headers["location"] == "/admin/policy?year=2027&done=created"
    )
    shown = browser.get(created.headers["location"])
    assert "已按方案标准创建" in shown.text and "data-missing-year" not in shown.text
    assert shown.text.count('data-mark="bureau"') == len(BUREAU_FIGURES)  # the bureau's to confirm
    with db.sessions() as s:
        year = s.get_one(PolicyYear, 2027)
        assert year.params == plan_defaults(2027).to_record()
        log = s.scalars(select(PolicyChange).where(PolicyChange.year == 2027)).all()
        assert [(c.action, c.new_value) for c in log] == [("create", "按方案标准创建")]
    twice = browser.submit("/admin/policy", "/admin/policy/create", {"year": "2027"})
    assert twice.status_code == 422 and "2027年度政策参数已存在" in twice.text
    bad = browser.submit("/admin/policy", "/admin/policy/create", {"year": "27"})
    assert bad.status_code == 422
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PolicyYear)) == 1
    # then the next year is copied from it as before
    copied = browser.submit("/admin/policy", "/admin/policy/copy", {"from_year": "2027", "to_year": "2028"})
    assert copied.status_code == 303


def test_the_plans_defaults_are_the_plans_figures():
    params = plan_defaults(2031)
    assert params.year == 2031
    for f in FIGURES:
        if f.plan is not None:
            assert getattr(params, f.name) == f.plan, f.name


def test_policy_create_from_the_command_line(set_up, capsys):
    _url, db = set_up
    assert main(["policy", "create", "2030", "--by", "chief"]) == 0
    assert "已按方案标准创建2030年度参数" in capsys.readouterr().out
    with db.sessions() as s:
        assert s.get_one(PolicyYear, 2030).params == plan_defaults(2030).to_record()
    assert main(["policy", "create", "2030"]) == 2
    assert "validation.policy_year_exists" in capsys.readouterr().err


def test_serve_says_how_to_make_the_first_admin(empty, monkeypatch, capsys):
    """``fuzhi serve`` on a county's own database before ``fuzhi setup`` says what to run, and
    nothing once an admin exists."""
    from cli import running, upgrade

    url, db = empty
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", TEST_SECRET.decode())
    running.tell_if_nobody_can_sign_in()
    assert "fuzhi setup" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["setup", "--username", "chief", "--password", PASSWORD]) == 0
    capsys.readouterr()
    running.tell_if_nobody_can_sign_in()
    assert capsys.readouterr().err == ""
    db.engine.dispose()
