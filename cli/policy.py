"""Policy years from the command line: ``fuzhi policy show``, ``copy``, ``create`` and ``set``,
recorded as a named admin or the server's operator."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from .database import open_db


def _actor(db: Any, username: str | None) -> Any:
    """Who the change is recorded as: a named admin user, else the server's operator."""
    from sqlalchemy import select

    from store.access import actor_for
    from store.models import User
    from workflow.errors import NotFound, TransitionRefused
    from workflow.roles import Actor, Role

    if username is None:
        return Actor(user_id=0, roles=frozenset({Role.ADMIN}), name=f"命令行（{getpass.getuser()}）"[:50])
    with db.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("not_found.user", f"没有用户 {username}")
        actor = actor_for(session, user)
    if Role.ADMIN not in actor.roles:
        raise TransitionRefused("policy.admin_only", f"用户 {username} 不是系统管理员")
    return actor


def _print_year(view: Any) -> None:
    from store.policy import change_rows
    from workflow.rules.figures import BUREAU_MARK

    print(f"{view.year}年度政策参数（第{view.version_no}版）")
    for f in view.figures:
        source = "方案规定" if f.source == "plan" else "县人社局设定"
        mark = f"  「{BUREAU_MARK}」待确认" if f.unconfirmed else ""
        print(f"  {f.figure.name:<28} {f.figure.label}：{f.text}（{source}）{mark}")
    rows = change_rows(view.changes)
    if rows:
        print("修改记录：")
    for r in rows:
        old = f"{r['old']} → " if r["old"] else ""
        print(f"  {r['at']:%Y-%m-%d %H:%M} {r['who']} {r['label']}：{old}{r['new']}")


def cmd_policy(args: argparse.Namespace) -> int:
    from store import policy

    db = open_db()
    if args.action == "show":
        with db.sessions() as session:
            years = [args.year] if args.year else policy.years(session)
            missing = policy.years_missing(session, db.clock.now().date())
            views = [policy.view(session, y) for y in years]
        for view in views:
            _print_year(view)
        if not views:
            print("尚未设置任何政策年度参数")
        for year in missing:
            how = f"fuzhi policy copy {year - 1} {year}" if views else f"fuzhi policy create {year}"
            print(f"注意：{year}年度政策参数尚未设置（{how}）")
    elif args.action == "copy":
        view = policy.copy_year(db, _actor(db, args.by), args.source, args.target)
        print(f"已按{args.source}年度参数创建{args.target}年度参数；方案未定金额的参数待确认")
        _print_year(view)
    elif args.action == "create":
        view = policy.create_year(db, _actor(db, args.by), args.year)
        print(f"已按方案标准创建{args.year}年度参数；方案未定金额的参数待确认")
        _print_year(view)
    else:
        view = policy.set_figures(
            db,
            _actor(db, args.by),
            args.year,
            {args.field: args.value},
            confirm=[args.field] if args.confirm else (),
        )
        shown = next(f for f in view.figures if f.figure.name == args.field)
        print(f"{view.year}年度 {shown.figure.label}：{shown.text}（第{view.version_no}版）")
    return 0
