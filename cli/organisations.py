"""The register of organisations (申报单位) from the command line: ``fuzhi org add`` and
``fuzhi org list``."""

from __future__ import annotations

import argparse
import sys

from .database import open_db


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
