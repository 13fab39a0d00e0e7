"""The ``fuzhi`` command: database, demo county, users and tokens, policy years, the server,
the machines."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.errors import DomainError
from workflow.states import OrgKind

if TYPE_CHECKING:  # for the annotations only: each command imports what it uses
    from alembic.config import Config

    from store.db import Database

ROOT = Path(__file__).resolve().parents[1]
ORG_KINDS = [k.value for k in OrgKind]


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    from workflow.config import database_url

    cfg = Config(toml_file=str(ROOT / "pyproject.toml"))
    cfg.attributes["url"] = url or database_url()
    return cfg


def upgrade(url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def open_db() -> Database:
    from store.db import Database
    from workflow.config import Settings

    settings = Settings.from_env()
    return Database.connect(settings.database_url, settings.secret)


def cmd_db(args: argparse.Namespace) -> int:
    from alembic import command

    if args.action == "upgrade":
        upgrade()
        print("数据库已升级到最新版本 (alembic upgrade head)")
    elif args.action == "check":
        command.check(alembic_config())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from demo import load_demo

    upgrade()
    report = load_demo(open_db())
    print(report.render() if hasattr(report, "render") else report)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from workflow.config import Settings

    settings = Settings.from_env()
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
    )
    return 0


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


def cmd_sweep(args: argparse.Namespace) -> int:
    """What cron runs: one sweep (expiry, overdue flags, reminders, monthly post claims, e-mail)."""
    from store.sweep import run_sweep
    from workflow.config import SmtpSettings, base_url

    report = run_sweep(
        open_db(), runner=f"cli:{os.getpid()}", smtp=SmtpSettings.from_env(), base_url=base_url()
    )
    print(report.summary())
    return 0


def cmd_machines(args: argparse.Namespace) -> int:
    from workflow.diagram import all_diagrams

    print(all_diagrams())
    return 0


def cmd_org_add(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from store.access import actor_for
    from store.models import User
    from store.people import OrganisationInput, register_organisation

    db = open_db()
    with db.sessions() as session:
        users = {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_([args.as_user, *args.agent])))
        }
        if args.as_user not in users:
            print(f"没有用户 {args.as_user}", file=sys.stderr)
            return 2
        missing = [name for name in args.agent if name not in users]
        if missing:
            print(f"没有用户 {'、'.join(missing)}", file=sys.stderr)
            return 2
        actor = actor_for(session, users[args.as_user])
    org_id = register_organisation(
        db,
        actor,
        OrganisationInput(
            name=args.name,
            kind=args.kind,
            credit_code=args.credit_code,
            recognised=args.recognised_on is not None,
            recognition_doc_no=args.doc,
            recognised_on=args.recognised_on,
            first_business=args.first_business,
            village_id=args.village,
            bank_account=args.bank,
            contact_name=args.contact,
            contact_phone=args.phone,
            agent_ids=tuple(users[name].id for name in args.agent),
        ),
    )
    print(f"已登记申报单位 {args.name} (id={org_id})")
    return 0


def cmd_org_list(args: argparse.Namespace) -> int:
    from store.people import OrgFilter, list_organisations, masked_bank
    from workflow.states import ORG_KIND_LABELS

    db = open_db()
    page = 1
    with db.sessions() as session:
        while True:
            found = list_organisations(session, OrgFilter(q=args.q, kind=args.kind, page=page))
            for o in found.rows:
                recognised = (
                    f"认定{o.recognised_on or ''} {o.recognition_doc_no or ''}".strip()
                    if o.recognised
                    else ""
                )
                print(
                    "\t".join(
                        str(v)
                        for v in (
                            o.id,
                            o.name,
                            ORG_KIND_LABELS.get(o.kind, o.kind),
                            o.credit_code or "",
                            recognised,
                            "首次创办" if o.first_business else "",
                            masked_bank(o),
                            f"经办人{found.agents.get(o.id, 0)}",
                        )
                    )
                )
            if page >= found.pages:
                break
            page += 1
    return 0


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
            print(f"注意：{year}年度政策参数尚未设置（fuzhi policy copy {year - 1} {year}）")
    elif args.action == "copy":
        view = policy.copy_year(db, _actor(db, args.by), args.source, args.target)
        print(f"已按{args.source}年度参数创建{args.target}年度参数；方案未定金额的参数待确认")
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


def add_policy_parser(sub: Any) -> None:
    p = sub.add_parser("policy", help="policy years: show, copy one into the next, set a figure")
    actions = p.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="the figures of a year (all years when omitted)")
    show.add_argument("year", type=int, nargs="?")
    copy = actions.add_parser("copy", help="create TO with the figures of FROM")
    copy.add_argument("source", type=int, metavar="FROM")
    copy.add_argument("target", type=int, metavar="TO")
    put = actions.add_parser("set", help="set one figure of a year (a new parameter set)")
    put.add_argument("year", type=int)
    put.add_argument("field", help="e.g. migrant_work_reward_amount, absorption_wage_rate")
    put.add_argument(
        "value", help="e.g. 600, 15%%, 'outbound_travel: transport_subsidy, migrant_work_reward'"
    )
    put.add_argument(
        "--confirm", action="store_true", help="the bureau confirms a figure the plan does not give"
    )
    for action in (copy, put):
        action.add_argument("--by", metavar="USERNAME", help="the admin the change is recorded as")
    p.set_defaults(func=cmd_policy)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fuzhi", description="扶智：就业帮扶补贴与乡村公益性岗位")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema (Alembic)")
    db.add_argument("action", choices=["upgrade", "check"])
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="load the demo county once (migrates first)")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="staff users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--roles", required=True, help="comma-separated: agent,village,hr,finance,admin")
    add.add_argument("--name", help="display name")
    add.add_argument("--password", help="initial password (prompted when omitted)")
    add.add_argument("--village", type=int, action="append", help="village id (village role)")
    add.add_argument("--org", type=int, help="organisation id (agent role)")
    add.add_argument("--email", help="where notices are e-mailed (optional)")
    add.set_defaults(func=cmd_user_add)

    token = sub.add_parser("token", help="agent API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="create a bearer token for an agent user")
    create.add_argument("username")
    create.add_argument("--label")
    create.set_defaults(func=cmd_token_create)

    sweep = sub.add_parser("sweep", help="run the time-driven work once (for cron)")
    sweep.set_defaults(func=cmd_sweep)

    add_policy_parser(sub)

    machines = sub.add_parser("machines", help="print the state-machine diagrams (Mermaid)")
    machines.set_defaults(func=cmd_machines)

    org = sub.add_parser("org", help="the register of organisations (申报单位)").add_subparsers(
        dest="action", required=True
    )
    add = org.add_parser("add", help="register an organisation")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=ORG_KINDS)
    add.add_argument(
        "--as",
        dest="as_user",
        required=True,
        metavar="USERNAME",
        help="the HR or admin user the record names as making the change",
    )
    add.add_argument("--credit-code", help="统一社会信用代码")
    add.add_argument(
        "--recognised-on",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="date of the 认定文件 (a recognised base or workshop)",
    )
    add.add_argument("--doc", help="认定文件文号")
    add.add_argument("--first-business", action="store_true", help="首次创办 (start-up)")
    add.add_argument("--village", type=int, help="village id")
    add.add_argument("--bank", help="bank account (stored encrypted)")
    add.add_argument("--contact", help="contact person")
    add.add_argument("--phone", help="contact phone")
    add.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="USERNAME",
        help="an agent user acting for it (repeatable)",
    )
    add.set_defaults(func=cmd_org_add)
    lst = org.add_parser("list", help="list the register (tab-separated, accounts masked)")
    lst.add_argument("--kind", choices=ORG_KINDS)
    lst.add_argument("--q", help="part of the name, or the start of the credit code")
    lst.set_defaults(func=cmd_org_list)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"错误 [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
