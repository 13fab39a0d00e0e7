"""``fuzhi org add|list``: the register of organisations from the command line, recorded under
the HR or admin user named with ``--as`` like a change made in the pages."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from .states import ORG_KIND_LABELS, OrgKind


def cmd_org_add(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .cli import open_db
    from .store.models import User
    from .store.organisations import OrganisationInput, register_organisation
    from .store.users import actor_for

    db = open_db()
    with db.sessions() as session:
        users = {u.username: u for u in session.scalars(
            select(User).where(User.username.in_([args.as_user, *args.agent])))}
        if args.as_user not in users:
            print(f"没有用户 {args.as_user}", file=sys.stderr)
            return 2
        missing = [name for name in args.agent if name not in users]
        if missing:
            print(f"没有用户 {'、'.join(missing)}", file=sys.stderr)
            return 2
        actor = actor_for(session, users[args.as_user])
    org_id = register_organisation(db, actor, OrganisationInput(
        name=args.name, kind=args.kind, credit_code=args.credit_code,
        recognised=args.recognised_on is not None, recognition_doc_no=args.doc,
        recognised_on=args.recognised_on, first_business=args.first_business,
        village_id=args.village, bank_account=args.bank, contact_name=args.contact,
        contact_phone=args.phone, agent_ids=tuple(users[name].id for name in args.agent)))
    print(f"已登记申报单位 {args.name} (id={org_id})")
    return 0


def cmd_org_list(args: argparse.Namespace) -> int:
    from .cli import open_db
    from .store.organisations import OrgFilter, list_organisations, masked_bank

    db = open_db()
    page = 1
    with db.sessions() as session:
        while True:
            found = list_organisations(session, OrgFilter(q=args.q, kind=args.kind, page=page))
            for o in found.rows:
                recognised = f"认定{o.recognised_on or ''} {o.recognition_doc_no or ''}".strip() \
                    if o.recognised else ""
                print("\t".join(str(v) for v in (
                    o.id, o.name, ORG_KIND_LABELS.get(o.kind, o.kind), o.credit_code or "",
                    recognised, "首次创办" if o.first_business else "", masked_bank(o),
                    f"经办人{found.agents.get(o.id, 0)}")))
            if page >= found.pages:
                break
            page += 1
    return 0


def add_org_commands(sub: Any) -> None:
    org = sub.add_parser("org", help="the register of organisations (申报单位)") \
        .add_subparsers(dest="action", required=True)
    add = org.add_parser("add", help="register an organisation")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=[k.value for k in OrgKind])
    add.add_argument("--as", dest="as_user", required=True, metavar="USERNAME",
                     help="the HR or admin user the record names as making the change")
    add.add_argument("--credit-code", help="统一社会信用代码")
    add.add_argument("--recognised-on", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="date of the 认定文件 (a recognised base or workshop)")
    add.add_argument("--doc", help="认定文件文号")
    add.add_argument("--first-business", action="store_true", help="首次创办 (start-up)")
    add.add_argument("--village", type=int, help="village id")
    add.add_argument("--bank", help="bank account (stored encrypted)")
    add.add_argument("--contact", help="contact person")
    add.add_argument("--phone", help="contact phone")
    add.add_argument("--agent", action="append", default=[], metavar="USERNAME",
                     help="an agent user acting for it (repeatable)")
    add.set_defaults(func=cmd_org_add)
    lst = org.add_parser("list", help="list the register (tab-separated, accounts masked)")
    lst.add_argument("--kind", choices=[k.value for k in OrgKind])
    lst.add_argument("--q", help="part of the name, or the start of the credit code")
    lst.set_defaults(func=cmd_org_list)
