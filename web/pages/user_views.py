"""What the admin's user pages render: the account's page (with a password or token made just
now, shown this once) and the add / change form, with their labels."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from store import access
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError
from workflow.roles import Role

from ..i18n import N_
from .cases import form_value, page_context


def many(data: dict[str, Any], key: str) -> list[str]:
    """Every value of a field sent several times (checkboxes)."""
    value = data.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# Staff roles first, in the order of the process; an agent (outside the bureau) last.
ROLES = [Role.VILLAGE.value, Role.HR.value, Role.FINANCE.value, Role.ADMIN.value, Role.AGENT.value]
STATUS_LABELS = {"active": N_("在用"), "inactive": N_("已停用"), "locked": N_("已锁定")}
DONE = {
    "added": N_("账号已开通。"),
    "edited": N_("修改已保存，并已记入变更记录。"),
    "unchanged": N_("没有任何改动。"),
    "deactivated": N_("账号已停用：其登录会话已全部结束，接口令牌已作废。"),
    "reactivated": N_("账号已恢复使用。"),
    "unlocked": N_("账号已解锁。"),
    "not_locked": N_("该账号没有被锁定。"),
    "password": N_("密码已设置，该账号的登录会话已全部结束。"),
    "revoked": N_("接口令牌已作废。"),
    "signed_out": N_("该账号的登录会话已全部结束。"),
    "totp_reset": N_("两步验证已重置：下次登录只需密码，可重新启用。"),
}
ACTION_LABELS = {
    "create": N_("开通账号"),
    "edit": N_("修改"),
    "deactivate": N_("停用"),
    "reactivate": N_("恢复使用"),
    "unlock": N_("解锁"),
    "password": N_("重置密码"),
    "token_create": N_("创建接口令牌"),
    "token_revoke": N_("作废接口令牌"),
    "sessions": N_("结束登录会话"),
    "totp": N_("两步验证"),
}
FIELD_LABELS = {
    "username": N_("用户名"),
    "display_name": N_("姓名"),
    "email": N_("电子邮箱"),
    "roles": N_("角色"),
    "village_ids": N_("负责的行政村"),
    "org_id": N_("申报单位"),
    "active": N_("状态"),
    "locked": N_("登录锁定"),
    "password": N_("密码"),
    "token": N_("接口令牌"),
    "sessions": N_("登录会话"),
    "totp": N_("两步验证"),
}
NO_STORE = {"Cache-Control": "no-store"}  # a page showing a password or token once


def account_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    user_id: int,
    status: int = 200,
    done: str | None = None,
    error: str | None = None,
    secret: dict[str, str] | None = None,
) -> Template:
    """The account's page; ``secret`` is a password or token made just now, shown this once."""
    view = access.user_page(db, who.actor, user_id)
    return Template(
        "user.html",
        status_code=status,
        headers=NO_STORE if secret else None,
        context=page_context(
            request,
            who,
            {
                "view": view,
                "u": view.user,
                "is_me": view.user.id == who.actor.user_id,
                "secret": secret,
                "done": DONE.get(done or ""),
                "error": error,
                "action_labels": ACTION_LABELS,
                "field_labels": FIELD_LABELS,
            },
        ),
    )


def account_form(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    user_id: int | None,
    typed: dict[str, Any] | None,
    status: int = 200,
    error: DomainError | None = None,
) -> Template:
    """The add / change form: what was typed after a refusal, else what is on file."""
    form = access.user_form(db, who.actor, user_id)
    user = form.user
    if typed is not None:
        values = {k: form_value(typed, k) for k in ("username", "display_name", "email", "org_id")}
        roles = set(many(typed, "roles"))
        chosen = {int(v) for v in many(typed, "village_ids") if v.isdigit()}
        mode = form_value(typed, "password_mode") or "generate"
    else:
        values = {
            "username": user.username if user else "",
            "display_name": user.display_name if user else "",
            "email": (user.email or "") if user else "",
            "org_id": str(user.org_id or "") if user else "",
        }
        roles, chosen, mode = set(form.roles), form.chosen, "generate"
    field = error.details.get("field") if error else None
    errors = {str(field): error.message} if error and field else {}
    return Template(
        "user_form.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "user": user,
                "values": values,
                "roles_chosen": roles,
                "chosen": chosen,
                "mode": mode,
                "all_roles": ROLES,
                "villages": form.villages,
                "orgs": form.orgs,
                "errors": errors,
                "error": error.message if error else None,
                "error_code": error.code if error else None,
            },
        ),
    )
