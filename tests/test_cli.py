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
