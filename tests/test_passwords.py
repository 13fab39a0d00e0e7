"""The password rule (issue 14, accounts): 12 characters for staff, 8 for an agent alone, no
username inside, no leaked or guessable password; applied wherever a password is set (the
admin's pages, ``fuzhi setup``, ``fuzhi user add``, a reset), with the field named in Chinese."""

from __future__ import annotations

import pytest

from cli.main import main
from store.access import AccessInput, add_user, reset_password
from store.access.users import create_user
from workflow.errors import ValidationFailed
from workflow.passwords import check_password_rule

from .builders import add_admin
from .conftest import TEST_SECRET
from .page_support import sign_in


@pytest.mark.parametrize(
    ("password", "username", "roles", "says"),
    [
        ("Short-pw-9", "zhuoma", ["hr"], "至少12位"),  # 10 characters: enough for an agent only
        ("x" * 201, "zhuoma", ["hr"], "不能超过200"),
        ("my-zhuoma-pass-77", "zhuoma", ["finance"], "不能包含用户名"),
        ("MY-ZHUOMA-pass-77", "Zhuoma", ["finance"], "不能包含用户名"),
        ("password1234", "zhuoma", ["admin"], "泄露"),
        ("qwertyuiop123", "zhuoma", ["admin"], "泄露"),
        ("aaaaaaaaaaaaaaaa", "zhuoma", ["village"], "容易被猜到"),
        ("1234567890123", "zhuoma", ["village"], "容易被猜到"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password, username, roles, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as refused:
        check_password_rule(password, username, roles, display_name="Zhuoma")
    assert refused.value.code == "validation.password" and refused.value.details["field"] == "password"
    assert says in refused.value.message


def test_good_passwords_pass_and_an_agent_needs_eight() -> None:
    for password in ("meili-snow-2026", "Tashi drives to Benzilan", "password-123", "7hq#Lm2!vXp9"):
        check_password_rule(password, "hr7", ["hr"])
    check_password_rule("Short-pw-9", "broker3", ["agent"])
    with pytest.raises(ValidationFailed):
        check_password_rule("Short-pw-9", "both", ["agent", "village"])  # a staff role: 12


def test_every_way_of_setting_a_password_applies_the_rule(db, db_url, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    admin = add_admin(db)
    with db.transaction() as s, pytest.raises(ValidationFailed):
        create_user(s, db, username="dawa", password="dawa-is-here-1", roles=["hr"])
    with pytest.raises(ValidationFailed):
        add_user(db, admin, AccessInput("达瓦", ("finance",), username="dawa"), "password12345")
    added = add_user(db, admin, AccessInput("达瓦", ("finance",), username="dawa"), None)
    assert added.password is not None and len(added.password) == 12  # made for it: follows the rule
    with pytest.raises(ValidationFailed):
        reset_password(db, admin, added.user_id, "iloveyou12345")
    assert reset_password(db, admin, added.user_id, "Benzilan-ferry-9") is None
    sign_in(db, "dawa", "Benzilan-ferry-9")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", TEST_SECRET.decode())  # the database's own key
    assert main(["user", "add", "lamu", "--roles", "hr", "--password", "lamu-lamu-lamu"]) == 2
    assert "不能包含用户名" in capsys.readouterr().err
