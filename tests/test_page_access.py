"""Every role × every staff page: 200 where the role may look, 403 or 404 where it may not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from store.access.users import create_user
from store.contracts.lifecycle import ContractInput, propose_contract
from store.models import Post

from .builders import county, export_claim, person
from .page_support import PASSWORD, sign_in

ROLES = ["village", "other_village", "hr", "finance", "admin", "agent"]


@pytest.fixture
def world(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    holder = person(db, c.village)
    with db.transaction() as s:
        post = Post(village_id=c.village, title="保洁员", monthly_subsidy=Decimal("800"), places=2)
        s.add(post)
        s.flush()
        contract = propose_contract(
            s, db, c.hr, ContractInput(post.id, holder, date(2026, 1, 1), date(2026, 12, 31))
        )
        create_user(s, db, username="admin1", password=PASSWORD, roles=["admin"])
        ids = {"claim": claim.id, "contract": contract.id, "post": post.id, "org": c.org, "person": holder}
    users = {
        "village": "village1",
        "other_village": "village2",
        "hr": "hr1",
        "finance": "finance1",
        "admin": "admin1",
        "agent": "agent1",
    }
    return ids, users


# page → the roles that get 200; every other role gets one of the refusal codes.
PAGES = {
    "/inbox": {"village", "other_village", "hr", "finance", "admin"},
    "/claims/{claim}": {"village", "hr", "finance", "admin"},
    "/contracts": {"village", "other_village", "hr", "finance", "admin"},
    "/contracts/{contract}": {"village", "hr", "finance", "admin"},
    "/contracts/new?post_id={post}": {"hr"},
    "/contracts/posts/new": {"hr"},
    "/dashboard": {"village", "other_village", "hr", "finance", "admin"},
    "/help/machines": {"village", "other_village", "hr", "finance", "admin", "agent"},
    "/payouts": {"finance"},
    "/notifications": {"village", "other_village", "hr", "finance", "admin"},
    "/admin/settings": {"admin"},
    "/organisations": {"hr", "admin"},
    "/organisations/new": {"hr", "admin"},
    "/organisations/{org}": {"hr", "admin"},
    "/organisations/{org}/edit": {"hr", "admin"},
    "/admin/policy": {"admin"},
    "/admin/baseline/": {"admin"},
    "/persons/{person}": {"village", "hr", "finance", "admin"},
    "/mine": {"village", "other_village", "hr", "finance", "admin"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages(db, world, role):
    ids, users = world
    if role == "agent":
        # Agents work through the API: their password opens no staff page.
        from litestar.testing import TestClient

        from web.app import create_app

        from .page_support import Browser

        client = TestClient(create_app(db, secure_cookies=False))
        client.__enter__()
        browser = Browser(client)
        browser.submit("/login", "/login", {"username": "agent1", "password": PASSWORD})
    else:
        browser = sign_in(db, users[role])
    for template, allowed in PAGES.items():
        path = template.format(**ids)
        status = browser.get(path, follow_redirects=False).status_code
        if role in allowed:
            assert status == 200, (role, path, status)
        else:
            assert status in (403, 404), (role, path, status)
