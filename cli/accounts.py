"""Staff accounts from the command line: ``fuzhi user add``, ending an account's access
(``deactivate``, ``end-sessions``, ``revoke-tokens``), ``unlock``, ``reset-totp``, ``password``, and
``fuzhi token create``."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from typing import Any

from .database import open_db


def cmd_user_add(args: argparse.Namespace) -> int:
    from store.access import create_user

    password = args.password or (
        getpass.getpass("密码: ") if sys.stdin.isatty() else secrets.token_urlsafe(12)
    )
    db = open_db()
    with db.transaction() as session:
        user = create_user(
            session,
            db,
            username=args.username,
            password=password,
            roles=args.roles.split(","),
            display_name=args.name or args.username,
            village_ids=args.village or (),
            org_id=args.org,
            **({"email": args.email} if args.email else {}),
        )
    print(f"已创建用户 {user.username} (id={user.id}, 角色={user.roles})")
    if not args.password and not sys.stdin.isatty():
        print(f"初始密码: {password}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from store.access import create_token
    from store.models import User

    db = open_db()
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == args.username))
        if user is None:
            print(f"没有用户 {args.username}", file=sys.stderr)
            return 2
        token = create_token(session, db, user, args.label or "")
    print("接口令牌（只显示这一次，请妥善保存）:")
    print(token)
    return 0


def _operator() -> Any:
    """Who a change from the command line is recorded as: the server's operator, as an admin."""
    from workflow.roles import Actor, Role

    return Actor(user_id=0, roles=frozenset({Role.ADMIN}), name=f"命令行（{getpass.getuser()}）"[:50])


def cmd_user_manage(args: argparse.Namespace) -> int:
    """``fuzhi user deactivate|reactivate|end-sessions|revoke-tokens|unlock|reset-totp|password``."""
    from store import access

    db = open_db()
    who, user_id = _operator(), access.user_id_of(db, args.username)
    name = args.username
    if args.action in ("deactivate", "reactivate"):
        changed = access.set_active(db, who, user_id, args.action == "reactivate")
        state = "已停用（会话已结束，接口令牌已作废）" if args.action == "deactivate" else "已重新启用"
        print(f"{name}：{state}" if changed else f"{name}：无需更改")
    elif args.action == "end-sessions":
        print(f"{name}：已结束{access.end_sessions(db, who, user_id)}个登录会话")
    elif args.action == "revoke-tokens":
        print(f"{name}：已作废{access.revoke_tokens(db, who, user_id)}个接口令牌")
    elif args.action == "unlock":
        print(f"{name}：" + ("已解除登录限制" if access.unlock(db, who, user_id) else "没有登录限制"))
    elif args.action == "reset-totp":
        print(
            f"{name}：" + ("已重置动态验证码" if access.reset_totp(db, who, user_id) else "未启用动态验证码")
        )
    else:  # password: the one typed (asked twice at a terminal), else a new one shown once
        typed = getpass.getpass("新密码（留空则自动生成）: ") if sys.stdin.isatty() else ""
        made = access.reset_password(db, who, user_id, typed or None)
        print(f"{name}：密码已重置，登录会话已结束" + (f"\n新密码（只显示这一次）: {made}" if made else ""))
    return 0
