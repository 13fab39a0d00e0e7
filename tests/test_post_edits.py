"""Editing a public-welfare post: title, monthly subsidy and places, each edit recorded; places
never below the people its contracts hold; a new monthly subsidy applies to contracts proposed
from then on (renewals included), while contracts already made, and every claim filed or still to
be opened for them, keep the contract's own amount. Every case sets its own clock."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.claims import submit_claim
from store.contracts import PostEdit, edit_post
from store.contracts.lifecycle import ContractInput, propose_contract, renew_contract
from store.contracts.models import PostChange
from store.models import Claim, Contract, Post
from store.sweep.runner import run_sweep
from store.transitions import transition
from workflow.errors import RuleViolation, TransitionRefused, ValidationFailed

from .builders import person
from .builders_posts import active_contract, committee_clerk, month_claim, on
from .page_support import sign_in


def post_of(db, contract_id: int) -> Post:
    with db.sessions() as s:
        return s.get_one(Post, s.get_one(Contract, contract_id).post_id)


def changes_of(db, post_id: int) -> list[PostChange]:
    with db.sessions() as s:
        return list(
            s.scalars(select(PostChange).where(PostChange.post_id == post_id).order_by(PostChange.id))
        )


def test_a_new_monthly_subsidy_applies_to_contracts_made_from_then_on(db, c, clock):
    on(clock, date(2025, 12, 20))
    contract = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 31))
    post = post_of(db, contract.id)
    clerk = committee_clerk(db, c)
    on(clock, date(2026, 11, 2))
    october = submit_claim(db, clerk, month_claim(db, contract.id, "2026-10"))
    assert october.amount == Decimal("800.00")  # the most October can pay, before the village confirms

    assert edit_post(db, c.hr, post.id, PostEdit("保洁员", Decimal("1000"), 2))
    (change,) = changes_of(db, post.id)
    assert change.actor_id == c.hr.user_id and change.at == clock.now()
    assert change.changes == [
        {"field": "monthly_subsidy", "old": "800.00", "new": "1000.00"},
        {"field": "places", "old": "1", "new": "2"},
    ]
    # The claim filed before the edit keeps its amount, and the village's confirmation computes
    # it from the contract's own monthly amount: October 2026 has 18 working days.
    transition(db, "claim", october.id, "verify", c.verifier, attendance_days=18)
    with db.sessions() as s:
        assert s.get_one(Claim, october.id).amount == Decimal("800.00")
        assert s.get_one(Contract, contract.id).monthly_subsidy == Decimal("800.00")
    # A month not yet claimed of the same contract (opened by the sweep on 1 December, with
    # every earlier month not filed by hand) is still the contract's amount.
    on(clock, date(2026, 12, 1))
    assert run_sweep(db).counts["post_claims_opened"] == 10
    with db.sessions() as s:
        november = s.scalars(
            select(Claim).where(
                Claim.contract_id == contract.id, Claim.facts["month"].as_string() == "2026-11"
            )
        ).one()
    assert november.amount == Decimal("800.00")
    # A contract proposed after the edit, and the renewal, take the post's new amount.
    newcomer = person(db, c.village, name="拉姆")
    with db.transaction() as s:
        new = propose_contract(
            s, db, c.hr, ContractInput(post.id, newcomer, date(2026, 12, 1), date(2027, 6, 30))
        )
        assert new.monthly_subsidy == Decimal("1000.00")
    successor = renew_contract(db, c.hr, contract.id)
    assert successor.monthly_subsidy == Decimal("1000.00")


def test_places_never_drop_below_the_people_the_posts_contracts_hold(db, c, clock):
    on(clock, date(2025, 12, 20))
    first = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 31))
    post = post_of(db, first.id)
    on(clock, date(2026, 11, 2))
    edit_post(db, c.hr, post.id, PostEdit("保洁员", Decimal("800"), 2))
    with db.transaction() as s:
        propose_contract(
            s,
            db,
            c.hr,
            ContractInput(post.id, person(db, c.village, name="次仁"), date(2026, 12, 1), date(2027, 5, 31)),
        )
    with pytest.raises(RuleViolation) as refused:
        edit_post(db, c.hr, post.id, PostEdit("保洁员", Decimal("800"), 1))
    assert (refused.value.code, refused.value.details["taken"]) == ("rule.places_below_taken", 2)
    assert "名额不能少于2个" in refused.value.message
    assert post_of(db, first.id).places == 2
    assert len(changes_of(db, post.id)) == 1  # the refused edit left no record
    # Once the first contract has ended, one place is enough.
    on(clock, date(2027, 1, 5))
    run_sweep(db)
    assert edit_post(db, c.hr, post.id, PostEdit("保洁员", Decimal("800"), 1))


def test_a_graduate_post_keeps_its_one_place_and_bad_input_is_refused(db, c, admin):
    from store.contracts.posts import PostInput, create_post

    with db.transaction() as s:
        grad = create_post(
            s, c.hr, PostInput(c.village, "大学生公岗", Decimal("1500"), 1, graduate_post=True)
        ).id
    with pytest.raises(RuleViolation) as refused:
        edit_post(db, admin, grad, PostEdit("大学生公岗", Decimal("1500"), 2))
    assert refused.value.code == "rule.graduate_post_places"
    for bad, field in (
        (PostEdit(" ", Decimal("1"), 1), "title"),
        (PostEdit("x", Decimal("-1"), 1), "monthly_subsidy"),
    ):
        with pytest.raises(ValidationFailed) as invalid:
            edit_post(db, admin, grad, bad)
        assert invalid.value.details["field"] == field
    assert not edit_post(db, admin, grad, PostEdit("大学生公岗", Decimal("1500.00"), 1))  # nothing changed
    assert changes_of(db, grad) == []
    with pytest.raises(TransitionRefused) as not_yours:
        edit_post(db, c.verifier, grad, PostEdit("大学生公岗", Decimal("1"), 1))
    assert not_yours.value.code == "posts.hr_or_admin_only"


def test_the_admin_edits_a_post_from_the_pages_and_sees_its_record(db, c, admin):
    with db.transaction() as s:
        s.add(Post(village_id=c.village, title="护路员", monthly_subsidy=Decimal("600"), places=1))
        s.flush()
        post_id = s.scalars(select(Post.id).where(Post.title == "护路员")).one()
    browser = sign_in(db, "admin1")
    assert f'href="/contracts/posts/{post_id}/edit"' in browser.get("/contracts").text
    form = f"/contracts/posts/{post_id}/edit"
    bad = browser.submit(
        form, f"/contracts/posts/{post_id}", {"title": "护路员", "monthly_subsidy": "六百", "places": "1"}
    )
    assert bad.status_code == 422 and 'aria-describedby="e-monthly_subsidy"' in bad.text
    r = browser.submit(
        form,
        f"/contracts/posts/{post_id}",
        {"title": "护路保洁员", "monthly_subsidy": "650.50", "places": "3"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=edited")
    page = browser.get(form).text
    history = page.split('id="history"')[1]
    assert "管理员" in history and "600.00" in history and "650.50" in history and "护路保洁员" in history
    assert "此后拟定的协议（含续签）" in page
    village = sign_in(db, "village1")
    assert village.get(form).status_code == 403
    refused = village.client.post(f"/contracts/posts/{post_id}", data={"title": "x"}, follow_redirects=False)
    assert refused.status_code == 403
