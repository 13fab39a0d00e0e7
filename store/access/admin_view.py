"""What the admin's user pages show: the accounts page by page (search, role, status), one
account with its villages, organisation, tokens and record of changes, and the account form."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from workflow.errors import NotFound
from workflow.roles import Actor

from ..db import Database
from ..models import ApiToken, Organisation, StaffSession, User, UserVillage, Village
from .admin_users import require_admin
from .models import UserChange
from .totp import required as totp_required
from .user_log import history_of, roles_of

PAGE_SIZE = 50
STATUSES = ("active", "inactive", "locked")


@dataclass(frozen=True)
class UserFilter:
    q: str | None = None
    role: str | None = None
    status: str | None = None  # one of STATUSES
    page: int = 1


@dataclass(frozen=True)
class UserRow:
    user: User
    roles: list[str]
    villages: list[str]
    org: str  # the organisation an agent files for, "" for none
    locked: bool


@dataclass(frozen=True)
class UsersPage:
    rows: list[UserRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class UserPage:
    user: User
    roles: list[str]
    villages: list[str]
    org: Organisation | None
    locked: bool
    open_sessions: int
    tokens: list[ApiToken]
    history: list[UserChange]
    totp: bool = False  # two-step sign-in on (the admin may reset it)


@dataclass(frozen=True)
class UserForm:
    user: User | None  # None when adding an account
    roles: list[str]
    chosen: set[int]  # the villages the account verifies for
    villages: list[Village]  # every village, township by township
    orgs: list[Organisation]


def _has_role(role: str) -> ColumnElement[bool]:
    """``roles`` (comma-separated codes) holds exactly this code."""
    return or_(
        User.roles == role,
        User.roles.startswith(f"{role},"),
        User.roles.endswith(f",{role}"),
        User.roles.contains(f",{role},"),
    )


def _filtered(f: UserFilter, now: datetime) -> Select[User]:
    q = select(User)
    if f.q:
        q = q.where(
            or_(
                User.username.contains(f.q, autoescape=True), User.display_name.contains(f.q, autoescape=True)
            )
        )
    if f.role:
        q = q.where(_has_role(f.role))
    if f.status == "active":
        q = q.where(User.active.is_(True))
    elif f.status == "inactive":
        q = q.where(User.active.is_(False))
    elif f.status == "locked":
        q = q.where(User.locked_until > now)
    return q


def _villages_by_user(session: Session, user_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if user_ids:
        rows = session.execute(
            select(UserVillage.user_id, Village.name)
            .join(Village, Village.id == UserVillage.village_id)
            .where(UserVillage.user_id.in_(user_ids))
            .order_by(Village.code)
        )
        for user_id, name in rows:
            found.setdefault(user_id, []).append(name)
    return found


def users_page(db: Database, actor: Actor, f: UserFilter) -> UsersPage:
    require_admin(actor)
    now = db.clock.now()
    with db.transaction() as session:
        query = _filtered(f, now)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(math.ceil(total / PAGE_SIZE), 1)
        page = min(max(f.page, 1), pages)
        users = list(
            session.scalars(
                query.order_by(User.active.desc(), User.username)
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )
        villages = _villages_by_user(session, [u.id for u in users])
        org_ids = {u.org_id for u in users if u.org_id}
        orgs: dict[int, str] = {
            org_id: name
            for org_id, name in session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
            )
        }
        rows = [
            UserRow(
                u,
                roles_of(u),
                villages.get(u.id, []),
                orgs.get(u.org_id, "") if u.org_id else "",
                u.locked_until is not None and u.locked_until > now,
            )
            for u in users
        ]
        return UsersPage(rows, total, page, pages)


def user_page(db: Database, actor: Actor, user_id: int) -> UserPage:
    require_admin(actor)
    now = db.clock.now()
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("not_found.user", "用户不存在", id=user_id)
        open_sessions = session.scalar(
            select(func.count()).where(
                StaffSession.user_id == user_id,
                StaffSession.ended_at.is_(None),
                StaffSession.expires_at > now,
            )
        )
        tokens = list(
            session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
        )
        return UserPage(
            user,
            roles_of(user),
            _villages_by_user(session, [user_id]).get(user_id, []),
            session.get(Organisation, user.org_id) if user.org_id else None,
            user.locked_until is not None and user.locked_until > now,
            open_sessions or 0,
            tokens,
            history_of(session, user_id),
            totp_required(session, user_id),
        )


def user_form(db: Database, actor: Actor, user_id: int | None) -> UserForm:
    require_admin(actor)
    with db.transaction() as session:
        user = session.get(User, user_id) if user_id is not None else None
        if user_id is not None and user is None:
            raise NotFound("not_found.user", "用户不存在", id=user_id)
        chosen = (
            set(session.scalars(select(UserVillage.village_id).where(UserVillage.user_id == user.id)))
            if user
            else set()
        )
        villages = list(
            session.scalars(select(Village).options(selectinload(Village.township)).order_by(Village.code))
        )
        orgs = list(session.scalars(select(Organisation).order_by(Organisation.name, Organisation.id)))
        return UserForm(user, roles_of(user) if user else [], chosen, villages, orgs)
