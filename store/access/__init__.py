"""Who may come in: staff users and their sign-in sessions, the agents' API tokens.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .first_admin import admins, create_first_admin
    from .sessions import ABSOLUTE, SignedIn, resolve, sign_in, sign_out
    from .users import actor_for, agent_for_token, create_token, create_user

__all__ = [
    "ABSOLUTE",
    "SignedIn",
    "actor_for",
    "admins",
    "agent_for_token",
    "create_first_admin",
    "create_token",
    "create_user",
    "resolve",
    "sign_in",
    "sign_out",
]
__getattr__ = exports(
    __name__,
    {
        "ABSOLUTE": "sessions",
        "SignedIn": "sessions",
        "actor_for": "users",
        "admins": "first_admin",
        "agent_for_token": "users",
        "create_first_admin": "first_admin",
        "create_token": "users",
        "create_user": "users",
        "resolve": "sessions",
        "sign_in": "sessions",
        "sign_out": "sessions",
    },
)
