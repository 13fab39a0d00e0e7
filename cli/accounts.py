"""Staff accounts from the command line: ``fuzhi user add`` and ``fuzhi token create``."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

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
