"""A county's own database without the demo: ``fuzhi setup`` migrates it and creates the first
administrator (asked for, or given as options), and refuses once an administrator exists."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from .database import ensure_master_key, open_db, upgrade

NEXT_STEPS = """下一步（详见 README“A county starts its own”）：
  1. fuzhi serve，用该管理员登录；
  2. “导入”页：先导入乡镇和行政村，再导入人员（可先下载模板、校验，再确认导入）；
  3. “申报单位”页登记申报单位，再在“用户”页添加工作人员和申报单位经办人；
  4. “政策参数”页：创建或核定本年度政策参数。"""


def cmd_setup(args: argparse.Namespace) -> int:
    from store.access import admins, create_first_admin

    interactive = sys.stdin.isatty()
    if not (args.username or interactive):
        print("请用 --username 给出管理员的用户名", file=sys.stderr)
        return 2
    upgrade()
    print("数据库已升级到最新版本")
    if not ensure_master_key():
        return 2
    db = open_db()
    if existing := admins(db):
        print(f"已有系统管理员（{'、'.join(existing)}），fuzhi setup 不再创建管理员。", file=sys.stderr)
        return 2
    username = args.username or input("第一位系统管理员的用户名: ").strip()
    password = args.password or os.environ.get("FUZHI_ADMIN_PASSWORD") or _ask_password(interactive)
    generated = password is None
    if password is None:
        password = secrets.token_urlsafe(12)
    user_id, name = create_first_admin(db, username, password, args.name or "")
    print(f"已创建第一位系统管理员 {name}（id={user_id}）")
    if generated:
        print(f"初始密码（只显示这一次）: {password}")
    print(NEXT_STEPS)
    return 0


def _ask_password(interactive: bool) -> str | None:
    """The password typed twice; None (a generated one) when nobody is at the terminal."""
    if not interactive:
        return None
    while True:
        first = getpass.getpass("密码（至少8位）: ")
        if first == getpass.getpass("再输入一次: "):
            return first
        print("两次输入的密码不一致，请重新输入", file=sys.stderr)
