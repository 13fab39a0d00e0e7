"""Every role × every page, staff's and agents' (/agent): 200 where the role may look, 403 or 404
where it may not; an agent is refused every staff page with a 403, staff every agent page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from store.access.users import create_user
from store.contracts.lifecycle import ContractInput, propose_contract
from store.imports import upload_import
from store.models import Post

from .builders import county, export_claim, id_number, person
from .page_support import PASSWORD, sign_in

ROLES = ["village", "other_village", "hr", "finance", "admin", "agent", "other_agent"]


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
        ids["user"] = c.verifier.user_id
    ids["import"] = upload_import(
        db,
        c.hr,
        "persons",
        "人员.csv",
        "姓名,身份证号,行政村代码\n".encode() + f"扎西,{id_number()},533422101001\n".encode(),
    ).run_id
    ids["batch"] = payout_batch(db, c)
    users = {
        "village": "village1",
        "other_village": "village2",
        "hr": "hr1",
        "finance": "finance1",
        "admin": "admin1",
        "agent": "agent1",  # the claim's organisation
        "other_agent": "agent2",  # another organisation
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
    "/help/machines": {"village", "other_village", "hr", "finance", "admin", "agent", "other_agent"},
    "/payouts": {"finance"},
    "/payouts/preview?ids={claim}": {"finance"},
    "/payouts/lookup?q={claim}": {"finance"},
    "/notifications": {"village", "other_village", "hr", "finance", "admin"},
    "/admin/settings": {"admin"},
    "/organisations": {"hr", "admin"},
    "/organisations/new": {"hr", "admin"},
    "/organisations/{org}": {"hr", "admin"},
    "/organisations/{org}/edit": {"hr", "admin"},
    "/admin/policy": {"admin"},
    "/admin/baseline/": {"admin"},
    "/persons/{person}": {"village", "hr", "finance", "admin"},
    "/admin/users": {"admin"},
    "/account/totp": {"hr", "finance", "admin"},
    "/admin/users/new": {"admin"},
    "/admin/users/{user}": {"admin"},
    "/admin/users/{user}/edit": {"admin"},
    "/admin/audit": {"admin"},
    "/admin/audit?user=hr1&action=auth&outcome=ok&since=2026-01-01&until=2026-12-31&page=2": {"admin"},
    "/contracts/posts/{post}/edit": {"hr", "admin"},
    # The agents' own pages: their organisation's work only.
    "/agent/claims": {"agent", "other_agent"},
    "/agent/claims/{claim}": {"agent"},
    "/agent/claims/{claim}/documents/approval_form": {"agent"},
    "/agent/lists": {"agent", "other_agent"},
    "/agent/lists/template.xlsx": {"agent", "other_agent"},
    "/imports": {"hr", "admin"},
    "/imports/template/persons": {"hr", "admin"},
    "/imports/template/places": {"admin"},
    "/imports/{import}": {"hr", "admin"},
    "/imports/{import}/result.xlsx": {"hr", "admin"},
    "/search": {"village", "other_village", "hr", "finance", "admin"},
    "/search?q=%E5%8D%93%E7%8E%9B&kind=persons": {"village", "other_village", "hr", "finance", "admin"},
    "/search?person={person}": {"village", "hr", "finance", "admin"},
    "/exports/inbox": {"village", "other_village", "hr", "finance", "admin"},
    "/exports/contracts": {"village", "other_village", "hr", "finance", "admin"},
    "/exports/dashboard": {"village", "other_village", "hr", "finance", "admin"},
    "/exports/payouts": {"finance"},
    "/exports/payouts/{batch}": {"finance"},
    "/exports/organisations": {"hr", "admin"},
    "/mine": {"village", "other_village", "hr", "finance", "admin"},
    "/exports/search?q=%E5%8D%93%E7%8E%9B": {"village", "other_village", "hr", "finance", "admin"},
    "/exports/search?person={person}": {"village", "hr", "finance", "admin"},
}
AGENTS = {"agent", "other_agent"}


def payout_batch(db, c) -> int:
    """A batch of one approved claim, for finance's batch pages."""
    from store.payouts import batch_pool

    from .builders import claim_in
    from .builders_payouts import give_payee_an_account

    claim = claim_in(db, c, "hr_reviewed").id
    give_payee_an_account(db, claim)
    return batch_pool.create_batch(db, c.finance, [claim]).id


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_pages(db, world, role):
    ids, users = world
    browser = sign_in(db, users[role])
    for template, allowed in PAGES.items():
        path = template.format(**ids)
        status = browser.get(path, follow_redirects=False).status_code
        if role in allowed:
            assert status == 200, (role, path, status)
        elif path.startswith("/agent/") == (role in AGENTS):
            assert status in (403, 404), (role, path, status)  # another's claim is not found
        else:
            assert status == 403, (role, path, status)  # staff's pages and agents' refuse each other
