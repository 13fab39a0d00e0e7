"""The first administrator of a county that starts without the demo (``fuzhi setup``): made
once, on a database with no administrator; refused as soon as one exists."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import Conflict, ValidationFailed
from workflow.roles import Role

from ..db import Database
from ..models import User
from .users import create_user

_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,50}")


def admins(db: Database) -> list[str]:
    """The usernames of the active administrators."""
    with db.transaction() as session:
        return _admins(session)


def _admins(session: Session) -> list[str]:
    rows = session.execute(select(User.username, User.roles).where(User.active.is_(True))).all()
    return [name for name, roles in rows if Role.ADMIN.value in roles.split(",")]


def create_first_admin(db: Database, username: str, password: str, display_name: str = "") -> tuple[int, str]:
    """The county's first administrator: (user id, username). Refused once any active user is
    an administrator: further users are added by an administrator (``/admin/users``,
    ``fuzhi user add``)."""
    username = username.strip()
    if not _USERNAME.fullmatch(username):
        raise ValidationFailed(
            "validation.username",
            "用户名须为2至50个字母、数字或 _ . @ - 字符",
            field="username",
        )
    with db.transaction() as session:
        if existing := _admins(session):
            raise Conflict(
                "conflict.admin_exists",
                f"已有系统管理员（{'、'.join(existing)}），不再创建第一位管理员；"
                "其他用户由管理员在“用户”页添加（或 fuzhi user add）",
            )
        user = create_user(
            session,
            db,
            username=username,
            password=password,
            roles=[Role.ADMIN.value],
            display_name=display_name.strip() or username,
        )
        return user.id, user.username
