"""The ``fuzhi`` command's parser and dispatch: each command is a function in the module of its
group (``database``, ``setup``, ``accounts``, ``policy``, ``organisations``, ``running``)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from typing import Any

from workflow.errors import DomainError
from workflow.pii import KeyProblem
from workflow.states import OrgKind

from .accounts import cmd_token_create, cmd_user_add, cmd_user_manage
from .audit import add_audit_parser
from .database import cmd_db, cmd_demo
from .keys import cmd_keys
from .organisations import cmd_org_add, cmd_org_list
from .policy import cmd_policy
from .running import cmd_machines, cmd_serve, cmd_sweep
from .setup import cmd_setup

ORG_KINDS = [k.value for k in OrgKind]


def add_policy_parser(sub: Any) -> None:
    p = sub.add_parser("policy", help="policy years: show, copy one into the next, create, set a figure")
    actions = p.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="the figures of a year (all years when omitted)")
    show.add_argument("year", type=int, nargs="?")
    copy = actions.add_parser("copy", help="create TO with the figures of FROM")
    copy.add_argument("source", type=int, metavar="FROM")
    copy.add_argument("target", type=int, metavar="TO")
    create = actions.add_parser("create", help="create YEAR from the plan's figures (a county's first year)")
    create.add_argument("year", type=int)
    put = actions.add_parser("set", help="set one figure of a year (a new parameter set)")
    put.add_argument("year", type=int)
    put.add_argument("field", help="e.g. migrant_work_reward_amount, absorption_wage_rate")
    put.add_argument(
        "value", help="e.g. 600, 15%%, 'outbound_travel: transport_subsidy, migrant_work_reward'"
    )
    put.add_argument(
        "--confirm", action="store_true", help="the bureau confirms a figure the plan does not give"
    )
    for action in (copy, create, put):
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

    setup = sub.add_parser(
        "setup", help="a county's own database: migrate and create the first admin (refused once one exists)"
    )
    setup.add_argument("--username", help="the admin's username (asked when omitted)")
    setup.add_argument(
        "--password", help="the admin's password (asked, or FUZHI_ADMIN_PASSWORD; generated when neither)"
    )
    setup.add_argument("--name", help="display name (default: the username)")
    setup.set_defaults(func=cmd_setup)

    keys = sub.add_parser("keys", help="the master key: check it against the database, or rotate it")
    keys.add_argument("action", choices=["check", "rotate"])
    keys.set_defaults(func=cmd_keys)

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
    for action, what in (
        ("deactivate", "deactivate an account: its sessions end and its API tokens are revoked"),
        ("reactivate", "let a deactivated account sign in again"),
        ("end-sessions", "sign an account out everywhere"),
        ("revoke-tokens", "revoke every API token of an agent account"),
        ("unlock", "clear an account's sign-in back-off at every address"),
        ("reset-totp", "turn an account's TOTP off (a lost phone)"),
        ("password", "reset the password (asked at a terminal, else generated and shown once)"),
    ):
        manage = user.add_parser(action, help=what)
        manage.add_argument("username")
        manage.set_defaults(func=cmd_user_manage)

    token = sub.add_parser("token", help="agent API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="create a bearer token for an agent user")
    create.add_argument("username")
    create.add_argument("--label")
    create.set_defaults(func=cmd_token_create)

    sweep = sub.add_parser("sweep", help="run the time-driven work once (for cron)")
    sweep.set_defaults(func=cmd_sweep)

    add_policy_parser(sub)
    add_audit_parser(sub)

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
    # Everything this process creates (the database and its -wal/-shm, evidence, documents,
    # the key file) is readable by the service user only.
    os.umask(0o077)
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"错误 [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyProblem as exc:  # a missing or wrong master key: nothing ran
        print(f"错误 [{exc.code}]: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
