"""The ``fuzhi`` command on a real database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from cli import main
from store.access.users import actor_for_token
from store.models import ApiToken, User


def test_machines_prints_both_diagrams(capsys):
    assert main(["machines"]) == 0
    out = capsys.readouterr().out
    # claims, contracts and (since the batch became a workflow of the tables) payout batches
    assert out.count("stateDiagram-v2") == 3
    assert "active --> expired: expire (system) [term_ended]" in out
    assert "confirmed --> closed: close (finance)" in out


def test_user_add_and_token_create(db, db_url, monkeypatch, capsys):
    from .builders import county

    county(db)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    assert (
        main(["user", "add", "broker9", "--roles", "agent", "--org", "1", "--password", "long-enough-1"]) == 0
    )
    assert main(["token", "create", "broker9", "--label", "测试"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("fz_")
    with db.sessions() as s:
        user = s.scalar(select(User).where(User.username == "broker9"))
        assert user is not None and user.password_hash.startswith("$argon2")
        stored = s.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
        assert token not in stored.token_hash
        actor = actor_for_token(s, token)
        assert actor is not None and actor.org_id == 1


def test_bad_role_is_refused_with_its_code(db, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    assert main(["user", "add", "x", "--roles", "boss", "--password", "long-enough-1"]) == 2
    assert "validation.role" in capsys.readouterr().err


def test_the_console_script_is_installed():
    out = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "fuzhi"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "machines" in out and "token" in out


def test_an_account_is_ended_from_the_command_line(db, db_url, monkeypatch, capsys):
    """Issue 14 §9: deactivate (sessions end, tokens revoked), end sessions, revoke tokens,
    unlock, reactivate; each recorded as the command line."""
    from store.access import resolve, sign_in
    from store.access.models import UserChange
    from store.access.users import create_token

    from .builders import county
    from .page_support import PASSWORD

    county(db)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    with db.transaction() as s:
        token = create_token(s, db, s.scalar(select(User).where(User.username == "agent1")))
    session = sign_in(db, "agent1", PASSWORD, "10.0.0.1")
    assert main(["user", "end-sessions", "agent1"]) == 0
    assert resolve(db, session.token) is None and "已结束1个登录会话" in capsys.readouterr().out
    assert main(["user", "revoke-tokens", "agent1"]) == 0
    assert "已作废1个接口令牌" in capsys.readouterr().out
    with db.sessions() as s:
        assert actor_for_token(s, token) is None
    session = sign_in(db, "agent1", PASSWORD, "10.0.0.1")
    assert main(["user", "deactivate", "agent1"]) == 0
    assert resolve(db, session.token) is None
    assert main(["user", "unlock", "agent1"]) == 0 and "没有登录限制" in capsys.readouterr().out
    assert main(["user", "reactivate", "agent1"]) == 0
    assert sign_in(db, "agent1", PASSWORD, "10.0.0.1").username == "agent1"
    assert main(["user", "deactivate", "nobody"]) == 2 and "not_found.user" in capsys.readouterr().err
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == "agent1"))
        rows = s.scalars(select(UserChange).where(UserChange.user_id == uid).order_by(UserChange.id)).all()
    assert [r.action for r in rows][-4:] == ["sessions", "token_revoke", "deactivate", "reactivate"]
    assert all(r.actor_name.startswith("命令行") for r in rows[-4:])
