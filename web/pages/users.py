"""The admin's user pages: the accounts, adding one, its page (deactivate, unlock, reset the
password, API tokens, the record of changes) and its roles, villages or organisation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import access
from store.access import STATUSES, AccessInput, SignedIn, UserFilter
from store.db import Database
from workflow.errors import DomainError, ValidationFailed
from workflow.roles import Role

from ..i18n import N_
from .cases import FORM, form_value, page_context
from .guard import require
from .user_views import ROLES, STATUS_LABELS, account_form, account_page, many


def _access_input(data: dict[str, Any]) -> AccessInput:
    villages = many(data, "village_ids")
    org = form_value(data, "org_id").strip()
    if not all(v.isdigit() for v in villages):
        raise ValidationFailed("validation.village", N_("所选行政村不存在"), field="village_ids")
    if org and not org.isdigit():
        raise ValidationFailed("validation.org", N_("所选申报单位不存在"), field="org_id")
    return AccessInput(
        display_name=form_value(data, "display_name"),
        roles=tuple(r for r in many(data, "roles") if r),
        village_ids=tuple(int(v) for v in villages),
        org_id=int(org) if org else None,
        email=form_value(data, "email"),
        username=form_value(data, "username"),
    )


def _password(data: dict[str, Any]) -> str | None:
    """The password the admin typed, or None to have one made (shown once)."""
    if form_value(data, "password_mode") != "set":
        return None
    typed = form_value(data, "password")
    if not typed:
        raise ValidationFailed("validation.password", N_("请填写密码，或选择由系统生成"), field="password")
    return typed


class UserController(Controller):
    path = "/admin/users"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        q: FromQuery[str | None] = None,
        role: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        require(who, Role.ADMIN)
        f = UserFilter(
            q=(q or "").strip()[:50] or None,
            role=role if role in ROLES else None,
            status=status if status in STATUSES else None,
            page=page,
        )
        found = access.users_page(db, who.actor, f)
        extra = {"found": found, "filters": f, "all_roles": ROLES, "statuses": STATUS_LABELS}
        return Template("users.html", context=page_context(request, who, extra))

    @get("/new", sync_to_thread=True)
    def new(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], who: NamedDependency[SignedIn]
    ) -> Template:
        require(who, Role.ADMIN)
        return account_form(request, db, who, None, None)

    @post("/", sync_to_thread=True, status_code=303)
    def add(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        try:
            added = access.add_user(db, who.actor, _access_input(data), _password(data))
        except DomainError as exc:
            return account_form(request, db, who, None, data, status=exc.status, error=exc)
        if added.password is None:
            return Redirect(f"/admin/users/{added.user_id}?done=added", status_code=303)
        secret = {"kind": "password", "value": added.password}
        return account_page(request, db, who, added.user_id, status=201, done="added", secret=secret)

    @get("/{user_id:int}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, Role.ADMIN)
        return account_page(request, db, who, user_id, done=done)

    @get("/{user_id:int}/edit", sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        require(who, Role.ADMIN)
        return account_form(request, db, who, user_id, None)

    @post("/{user_id:int}", sync_to_thread=True, status_code=303)
    def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        try:
            changed = access.change_access(db, who.actor, user_id, _access_input(data))
        except DomainError as exc:
            return account_form(request, db, who, user_id, data, status=exc.status, error=exc)
        return Redirect(
            f"/admin/users/{user_id}?done={'edited' if changed else 'unchanged'}", status_code=303
        )

    @post("/{user_id:int}/active", sync_to_thread=True, status_code=303)
    def active(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        active = form_value(data, "active") == "1"
        try:
            access.set_active(db, who.actor, user_id, active)
        except DomainError as exc:
            return account_page(request, db, who, user_id, status=exc.status, error=exc.message)
        done = "reactivated" if active else "deactivated"
        return Redirect(f"/admin/users/{user_id}?done={done}", status_code=303)

    @post("/{user_id:int}/unlock", sync_to_thread=True, status_code=303)
    def unlock(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        done = "unlocked" if access.unlock(db, who.actor, user_id) else "not_locked"
        return Redirect(f"/admin/users/{user_id}?done={done}", status_code=303)

    @post("/{user_id:int}/sessions", sync_to_thread=True, status_code=303)
    def end_sessions(
        self, db: NamedDependency[Database], user_id: FromPath[int], who: NamedDependency[SignedIn]
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        access.end_sessions(db, who.actor, user_id)
        return Redirect(f"/admin/users/{user_id}?done=signed_out", status_code=303)

    @post("/{user_id:int}/totp-reset", sync_to_thread=True, status_code=303)
    def reset_totp(
        self, db: NamedDependency[Database], user_id: FromPath[int], who: NamedDependency[SignedIn]
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        access.reset_totp(db, who.actor, user_id)
        return Redirect(f"/admin/users/{user_id}?done=totp_reset", status_code=303)

    @post("/{user_id:int}/password", sync_to_thread=True, status_code=303)
    def password(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        try:
            made = access.reset_password(db, who.actor, user_id, _password(data))
        except DomainError as exc:
            return account_page(request, db, who, user_id, status=exc.status, error=exc.message)
        if made is None:
            return Redirect(f"/admin/users/{user_id}?done=password", status_code=303)
        secret = {"kind": "password", "value": made}
        return account_page(request, db, who, user_id, status=200, done="password", secret=secret)

    @post("/{user_id:int}/tokens", sync_to_thread=True, status_code=201)
    def new_token(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        try:
            token = access.issue_token(db, who.actor, user_id, form_value(data, "label"))
        except DomainError as exc:
            return account_page(request, db, who, user_id, status=exc.status, error=exc.message)
        return account_page(request, db, who, user_id, status=201, secret={"kind": "token", "value": token})

    @post("/{user_id:int}/tokens/{token_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: FromPath[int],
        token_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Response[Any]:
        require(who, Role.ADMIN)
        access.revoke_token(db, who.actor, user_id, token_id)
        return Redirect(f"/admin/users/{user_id}?done=revoked#tokens", status_code=303)
