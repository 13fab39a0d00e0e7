"""Who may come in: staff users and their sign-in sessions, the agents' API tokens, and the
admin's pages on them (accounts, roles, tokens, the record of changes).

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .admin_users import (
        AccessInput,
        Added,
        add_user,
        change_access,
        end_sessions,
        issue_token,
        reset_password,
        revoke_token,
        revoke_tokens,
        set_active,
        unlock,
        user_id_of,
    )
    from .admin_view import STATUSES, UserFilter, user_form, user_page, users_page
    from .first_admin import admins, create_first_admin
    from .sessions import (
        ABSOLUTE,
        CODE_WAIT,
        CodeNeeded,
        SignedIn,
        finish_sign_in,
        resolve,
        sign_in,
        sign_out,
    )
    from .throttle import Throttled
    from .totp import Enrolment, confirm_totp, reset_totp, totp_enrolment
    from .users import actor_for, agent_for_token, create_token, create_user

__all__ = [
    "ABSOLUTE",
    "CODE_WAIT",
    "STATUSES",
    "AccessInput",
    "Added",
    "CodeNeeded",
    "Enrolment",
    "SignedIn",
    "Throttled",
    "UserFilter",
    "actor_for",
    "add_user",
    "admins",
    "agent_for_token",
    "change_access",
    "confirm_totp",
    "create_first_admin",
    "create_token",
    "create_user",
    "end_sessions",
    "finish_sign_in",
    "issue_token",
    "reset_password",
    "reset_totp",
    "resolve",
    "revoke_token",
    "revoke_tokens",
    "set_active",
    "sign_in",
    "sign_out",
    "totp_enrolment",
    "unlock",
    "user_form",
    "user_id_of",
    "user_page",
    "users_page",
]
__getattr__ = exports(
    __name__,
    {
        "ABSOLUTE": "sessions",
        "CODE_WAIT": "sessions",
        "CodeNeeded": "sessions",
        "Enrolment": "totp",
        "Throttled": "throttle",
        "confirm_totp": "totp",
        "finish_sign_in": "sessions",
        "reset_totp": "totp",
        "totp_enrolment": "totp",
        "AccessInput": "admin_users",
        "Added": "admin_users",
        "STATUSES": "admin_view",
        "SignedIn": "sessions",
        "UserFilter": "admin_view",
        "actor_for": "users",
        "add_user": "admin_users",
        "admins": "first_admin",
        "agent_for_token": "users",
        "change_access": "admin_users",
        "create_first_admin": "first_admin",
        "create_token": "users",
        "create_user": "users",
        "issue_token": "admin_users",
        "reset_password": "admin_users",
        "resolve": "sessions",
        "revoke_token": "admin_users",
        "set_active": "admin_users",
        "sign_in": "sessions",
        "sign_out": "sessions",
        "unlock": "admin_users",
        "user_id_of": "admin_users",
        "revoke_tokens": "admin_users",
        "end_sessions": "admin_users",
        "user_form": "admin_view",
        "user_page": "admin_view",
        "users_page": "admin_view",
    },
)
