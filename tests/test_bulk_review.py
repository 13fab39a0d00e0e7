"""Bulk return and bulk 不予批准 from the inbox with one reason for all, each case with its own
outcome (the table marks those rows bulk; a bulk step that needs a reason is refused whole
without one); village verifiers return many at once too; bulk 认领 and the head's bulk 分派."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.claims import bulk_claim_step, take_claims
from store.models import Claim, ClaimHistory
from workflow.machines import CLAIM
from workflow.review import needs_reason, reason_missing
from workflow.roles import Role

from .builders import add_admin, claim_in
from .page_support import csrf_of, sign_in


def states(db, ids: list[int]) -> dict[int, str]:
    with db.sessions() as s:
        return dict(s.execute(select(Claim.id, Claim.state).where(Claim.id.in_(ids))).all())


def last_comments(db, ids: list[int]) -> set[str | None]:
    with db.sessions() as s:
        rows = s.execute(
            select(ClaimHistory.claim_id, ClaimHistory.comment)
            .where(ClaimHistory.claim_id.in_(ids))
            .order_by(ClaimHistory.id)
        ).all()
    return set({cid: comment for cid, comment in rows}.values())


def outcomes(html: str) -> dict[int, str]:
    return {int(cid): ok for cid, ok in re.findall(r'data-claim="(\d+)" data-ok="(yes|no)"', html)}


def test_the_table_offers_return_and_reject_in_bulk_and_they_need_a_reason() -> None:
    bulk = {(s.trigger, s.role) for s in CLAIM.bulk_steps}
    assert {("return", Role.VILLAGE), ("return", Role.HR), ("reject", Role.HR)} <= bulk
    assert [s.trigger for s in CLAIM.bulk_steps if needs_reason(s)] == ["return", "return", "reject"]
    hr = frozenset({Role.HR})
    assert reason_missing(CLAIM, "reject", hr, "  ") and not reason_missing(CLAIM, "reject", hr, "材料不实")
    assert not reason_missing(CLAIM, "approve", hr, None)


def test_hr_rejects_many_with_one_reason_each_with_its_own_outcome(db, c) -> None:
    ready = [claim_in(db, c, "village_verified").id for _ in range(3)]
    held = claim_in(db, c, "village_verified").id
    take_claims(db, c.hr2, [held])
    too_early = claim_in(db, c, "submitted").id
    taken = bulk_claim_step(db, c.hr, [*ready, held, too_early], "reject", "非目标人员")
    assert [o.ok for o in taken] == [True, True, True, False, False]
    assert "已由hr2" in taken[3].error and "当前状态" in taken[4].error
    assert states(db, ready) == dict.fromkeys(ready, "rejected")
    assert last_comments(db, ready) == {"非目标人员"}
    assert states(db, [held, too_early]) == {held: "village_verified", too_early: "submitted"}


def test_a_bulk_reject_without_a_reason_takes_none(db, c) -> None:
    ready = [claim_in(db, c, "village_verified").id for _ in range(2)]
    hr = sign_in(db, "hr1")
    page = hr.get("/inbox").text
    assert 'value="reject"' in page and 'value="return"' in page and 'name="comment"' in page
    r = hr.client.post(
        "/inbox/bulk",
        data={
            "trigger": "reject",
            "ids": [str(i) for i in ready],
            "comment": " ",
            "_csrf_token": csrf_of(page),
        },
    )
    assert r.status_code == 200 and "须填写原因" in r.text and outcomes(r.text) == {}
    assert states(db, ready) == dict.fromkeys(ready, "village_verified")


def test_hr_returns_many_from_the_inbox_and_the_page_shows_each_outcome(db, c) -> None:
    ready = [claim_in(db, c, "village_verified").id for _ in range(2)]
    paid_out = claim_in(db, c, "hr_reviewed").id
    hr = sign_in(db, "hr1")
    token = csrf_of(hr.get("/inbox").text)
    ids = [str(i) for i in (*ready, paid_out)]
    r = hr.client.post(
        "/inbox/bulk",
        data={"trigger": "return", "ids": ids, "comment": "缺少务工收入证明", "_csrf_token": token},
    )
    assert outcomes(r.text) == {ready[0]: "yes", ready[1]: "yes", paid_out: "no"}
    assert "缺少务工收入证明" in r.text and "成功 2" in r.text and "未成功 1" in r.text
    assert states(db, ready) == dict.fromkeys(ready, "returned")


def test_a_village_verifier_returns_many_with_one_reason(db, c) -> None:
    mine = [claim_in(db, c, "submitted").id for _ in range(2)]
    village = sign_in(db, "village1")
    page = village.get("/inbox").text
    assert 'value="return"' in page and 'value="reject"' not in page
    r = village.client.post(
        "/inbox/bulk",
        data={
            "trigger": "return",
            "ids": [str(i) for i in mine],
            "comment": "请补充户籍证明",
            "_csrf_token": csrf_of(page),
        },
    )
    assert outcomes(r.text) == dict.fromkeys(mine, "yes")
    assert last_comments(db, mine) == {"请补充户籍证明"}


def test_bulk_take_and_the_heads_bulk_assignment(db, c) -> None:
    add_admin(db)
    free, taken = claim_in(db, c, "village_verified").id, claim_in(db, c, "village_verified").id
    take_claims(db, c.hr2, [taken])
    hr = sign_in(db, "hr1")
    page = hr.get("/inbox").text
    assert 'formaction="/inbox/hold/hold"' in page
    r = hr.client.post(
        "/inbox/hold/hold", data={"ids": [str(free), str(taken)], "_csrf_token": csrf_of(page)}
    )
    assert outcomes(r.text) == {free: "yes", taken: "no"} and "已由hr2" in r.text
    head = sign_in(db, "admin1")
    page = head.get("/inbox").text
    assert 'formaction="/inbox/hold/assign"' in page and f'value="{c.hr2.user_id}"' in page
    r = head.client.post(
        "/inbox/hold/assign",
        data={"ids": [str(free), str(taken)], "assignee": str(c.hr2.user_id), "_csrf_token": csrf_of(page)},
    )
    assert outcomes(r.text) == {free: "yes", taken: "yes"}
    with db.sessions() as s:
        assert {s.get_one(Claim, i).holder_id for i in (free, taken)} == {c.hr2.user_id}
    r = head.client.post(
        "/inbox/hold/assign", data={"ids": [str(free)], "assignee": "", "_csrf_token": csrf_of(page)}
    )
    assert r.status_code == 422 and "请选择要分派的人员" in r.text
