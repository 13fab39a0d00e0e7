"""Builders for the register of organisations: valid credit codes, an admin, a recognised base."""

from __future__ import annotations

import itertools
from datetime import date

from stdnum.cn import uscc

from store.access.users import create_user
from store.db import Database
from store.people.org_checks import OrganisationInput
from store.people.register import register_organisation
from workflow.roles import Actor

_seq = itertools.count(1)


def credit_code(head: str = "91", region: str = "533422") -> str:
    """A fresh valid 统一社会信用代码 with the given authority and category."""
    body = f"{head}{region}MA{next(_seq):07d}"
    return body + uscc.calc_check_digit(body)


def agent_user(db: Database, org_id: int, username: str) -> int:
    with db.transaction() as s:
        return create_user(
            s,
            db,
            username=username,
            password="password-123",
            roles=["agent"],
            display_name=username,
            org_id=org_id,
        ).id


def recognised(
    db: Database,
    keeper: Actor,
    kind: str,
    on: date,
    name: str = "德钦县帮扶车间",
    doc: str = "德人社发〔2026〕12号",
) -> int:
    return register_organisation(
        db,
        keeper,
        OrganisationInput(
            name=name,
            kind=kind,
            credit_code=credit_code(),
            recognised=True,
            recognition_doc_no=doc,
            recognised_on=on,
        ),
    )
