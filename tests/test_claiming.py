"""Two reviewers never do the same work twice: a reviewer takes a case (认领) or the head (the
admin) assigns it; another's step on a held case is refused naming the holder; a hold lapses
when the case moves on; of two reviewers racing for one case exactly one wins; and a lost race
on a step says who acted and when."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from store.claims import Filters, assign_claims, case, inbox, release_claims, take_claim_step, take_claims
from store.models import Claim
from store.transitions import transition
from workflow.errors import Conflict
from workflow.review import Held

from .builders import add_admin, claim_in
from .page_support import csrf_of, sign_in


def holder_of(db, claim_id: int) -> int | None:
    with db.sessions() as s:
        claim = s.get_one(Claim, claim_id)
        return claim.holder_id if claim.held_version == claim.version else None


def test_a_held_case_is_worked_only_by_its_holder_who_is_named_to_the_others(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    assert [o.ok for o in take_claims(db, c.hr, [claim.id])] == [True]
    seen = case(db, c.hr2, claim.id)
    assert (seen.hold.holder_name, seen.hold.mine, seen.may_take) == ("hr1", False, True)
    with pytest.raises(Held) as refused:
        take_claim_step(db, c.hr2, claim.id, "approve")
    assert refused.value.code == "conflict.held" and "hr1" in refused.value.message
    (other,) = take_claims(db, c.hr2, [claim.id])
    assert not other.ok and "已由hr1" in other.error
    assert [o.ok for o in release_claims(db, c.hr2, [claim.id])] == [False]  # not theirs to let go
    assert holder_of(db, claim.id) == c.hr.user_id
    assert [o.ok for o in release_claims(db, c.hr, [claim.id])] == [True]
    take_claim_step(db, c.hr2, claim.id, "approve")  # free again: anyone may act
    assert holder_of(db, claim.id) is None


def test_the_holder_acts_and_the_hold_lapses_when_the_case_moves_on(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    take_claims(db, c.hr, [claim.id])
    take_claim_step(db, c.hr, claim.id, "return", comment="缺少务工收入证明")
    transition(db, "claim", claim.id, "resubmit", c.agent)
    transition(db, "claim", claim.id, "verify", c.verifier)
    assert holder_of(db, claim.id) is None and case(db, c.hr2, claim.id).hold is None
    take_claim_step(db, c.hr2, claim.id, "approve")


def test_who_may_hold_what(db, c) -> None:
    submitted = claim_in(db, c, "submitted")
    reviewed = claim_in(db, c, "hr_reviewed")
    assert "负责该环节" in take_claims(db, c.hr, [submitted.id])[0].error  # it waits for the village
    assert take_claims(db, c.other_verifier, [submitted.id])[0].error == "未找到该申请"  # not theirs
    assert take_claims(db, c.verifier, [submitted.id])[0].ok
    assert "不在核实或审核环节" in take_claims(db, c.hr, [reviewed.id])[0].error  # finance's payment
    assert not take_claims(db, c.finance, [submitted.id])[0].ok


def test_two_reviewers_racing_to_take_a_case_exactly_one_wins(db, c) -> None:
    claims = [claim_in(db, c, "village_verified").id for _ in range(6)]
    for claim_id in claims:
        barrier = threading.Barrier(2)

        def attempt(actor, claim_id=claim_id, barrier=barrier):
            barrier.wait()
            return take_claims(db, actor, [claim_id])[0]

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(attempt, [c.hr, c.hr2]))
        assert sorted(o.ok for o in outcomes) == [False, True], outcomes
        winner = (c.hr, c.hr2)[[o.ok for o in outcomes].index(True)]
        loser = next(o for o in outcomes if not o.ok)
        assert holder_of(db, claim_id) == winner.user_id
        assert f"已由{winner.name}" in loser.error  # the loser is told who won


def test_the_head_assigns_moves_and_takes_back_a_hold(db, c) -> None:
    admin = add_admin(db)
    claim = claim_in(db, c, "village_verified")
    assert not assign_claims(db, c.hr, [claim.id], c.hr2.user_id)[0].ok  # only the head assigns
    assert "不能分派给finance1" in assign_claims(db, admin, [claim.id], c.finance.user_id)[0].error
    take_claims(db, c.hr, [claim.id])
    assert assign_claims(db, admin, [claim.id], c.hr2.user_id)[0].ok  # moved from hr1 to hr2
    view = case(db, c.hr2, claim.id)
    assert (view.hold.holder_name, view.hold.assigned_by_name, view.hold.mine) == ("hr2", "管理员", True)
    assert [a.name for a in case(db, admin, claim.id).assignees] == ["hr1", "hr2"]
    with pytest.raises(Held):
        take_claim_step(db, c.hr, claim.id, "approve")
    assert release_claims(db, admin, [claim.id])[0].ok  # 收回
    assert holder_of(db, claim.id) is None


def test_the_inbox_shows_who_holds_what_and_filters_mine_and_free(db, c) -> None:
    admin = add_admin(db)
    mine, theirs, free = (claim_in(db, c, "village_verified").id for _ in range(3))
    take_claims(db, c.hr, [mine])
    take_claims(db, c.hr2, [theirs])
    rows = {r.id: r for r in inbox(db, c.hr, Filters()).rows}
    assert (rows[mine].holder, rows[theirs].holder, rows[free].holder) == ("hr1", "hr2", None)
    assert [r.id for r in inbox(db, c.hr, Filters(held="mine")).rows] == [mine]
    assert [r.id for r in inbox(db, c.hr, Filters(held="free")).rows] == [free]
    head = inbox(db, admin, Filters(held="free"))
    assert [r.id for r in head.rows] == [free] and [a.name for a in head.assignees] == ["hr1", "hr2"]


def test_a_lost_race_on_a_step_says_who_acted_and_when(db, c) -> None:
    claim = claim_in(db, c, "submitted")
    take_claim_step(db, c.verifier, claim.id, "verify", expected_version=claim.version)
    with pytest.raises(Conflict) as lost:
        take_claim_step(db, c.verifier, claim.id, "return", comment="x", expected_version=claim.version)
    assert f"village1于{db.clock.now():%Y-%m-%d %H:%M}办理" in lost.value.message
    assert lost.value.details["last_actor"] == "village1"


def test_the_case_page_names_the_holder_and_the_one_who_acted(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    hr1, hr2 = sign_in(db, "hr1"), sign_in(db, "hr2")
    page = hr1.get(f"/claims/{claim.id}").text
    assert "尚无人认领" in page and f'action="/claims/{claim.id}/hold/hold"' in page
    r = hr1.client.post(
        f"/claims/{claim.id}/hold/hold", data={"_csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert r.status_code == 303
    other = hr2.get(f"/claims/{claim.id}").text
    assert 'data-holder="' in other and "hr1" in other and "只有认领人可以办理" in other
    refused = hr2.submit(
        f"/claims/{claim.id}", f"/claims/{claim.id}/act", {"trigger": "approve", "version": claim.version}
    )
    assert refused.status_code == 409 and "已由hr1" in refused.text
    hr1.submit(
        f"/claims/{claim.id}", f"/claims/{claim.id}/act", {"trigger": "approve", "version": claim.version}
    )
    late = hr2.submit(
        f"/claims/{claim.id}",
        f"/claims/{claim.id}/act",
        {"trigger": "reject", "comment": "材料不实", "version": claim.version},
    )
    assert late.status_code == 409
    assert f"最后一次办理：hr1，{db.clock.now():%Y-%m-%d %H:%M}，现为“人社已审核”" in late.text
