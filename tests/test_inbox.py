"""The inbox reads each waiting state on its own index range; what it shows must be what the
plain definition gives: the claims in the user's states (a verifier's only in their villages),
filtered, in (due time, id) order, page after page, with counts capped at COUNT_CAP."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, update

from store.claims import worklist
from store.claims.case_view import inbox
from store.claims.tail_search import with_tails
from store.claims.worklist import Filters, claims_inbox
from store.contracts.lifecycle import ContractInput, propose_contract
from store.contracts.posts import PostInput, create_post
from store.db import Database
from store.models import Claim, Organisation, Person, Township, Village
from store.transitions import transition
from workflow.roles import Actor, Role

from .builders import county, person

NOW = datetime(2026, 11, 28, 10, 0)
WAITING = {
    "village": ("submitted",),
    "hr": ("village_verified", "hr_first_reviewed"),
    "finance": ("hr_reviewed",),
}
STATES = [*(s for states in WAITING.values() for s in states), "finance_paid", "returned", "rejected"]
TYPES = ["labour_export_service", "transport_subsidy"]
NAMES = ["卓玛", "卓玛央金", "卓嘎", "扎西", "扎西次仁", "和平"]


@pytest.fixture
def claims(db: Database) -> list[dict[str, object]]:
    """300 claims over 4 villages, due on a few days only (many ties, broken by id)."""
    rng = random.Random(12)
    persons = [dict(id=i, name=rng.choice(NAMES), last4=f"{rng.randrange(30):04d}") for i in range(1, 41)]
    rows = [
        dict(
            id=i,
            person_id=rng.choice(persons)["id"],
            village_id=rng.randint(1, 4),
            subsidy_type=rng.choice(TYPES),
            state=rng.choice(STATES),
            due_at=NOW + timedelta(days=rng.randint(-3, 3), hours=rng.choice([0, 0, 5])),
        )
        for i in range(1, 301)
    ]
    with db.transaction() as s:
        s.add(Township(id=1, code="533422101", name="升平镇"))
        s.flush()
        s.execute(
            insert(Village),
            [dict(id=v, township_id=1, code=f"53342210100{v}", name=f"村{v}") for v in range(1, 5)],
        )
        s.add(Organisation(id=1, name="劳务经纪人", kind="labour_broker"))
        s.flush()
        s.execute(
            insert(Person),
            [
                dict(
                    id=p["id"],
                    name=p["name"],
                    id_number_enc=db.vault.encrypt(f"53342219900101{p['last4']}"),
                    id_number_hash=f"h{p['id']}",
                    id_tail_hash=db.vault.tail_digest(str(p["last4"])),
                    birth_date=datetime(1990, 1, 1).date(),
                    sex="女",
                    village_id=1,
                    target_groups="relocated",
                    labour_capacity="full",
                    created_at=NOW,
                )
                for p in persons
            ],
        )
        s.execute(
            insert(Claim),
            [
                dict(
                    **r,
                    claimant_org_id=1,
                    payee_kind="person",
                    policy_year=2026,
                    facts={},
                    amount=300,
                    rule="test",
                    rule_explanation="",
                    version=1,
                    submitted_by=1,
                    overdue=False,
                    created_at=NOW,
                    updated_at=NOW,
                )
                for r in rows
            ],
        )
    by_id = {p["id"]: p for p in persons}
    return [
        {**r, "name": by_id[r["person_id"]]["name"], "last4": by_id[r["person_id"]]["last4"]} for r in rows
    ]


ACTORS = {
    "verifier of two villages": Actor(1, frozenset({Role.VILLAGE}), frozenset({1, 2})),
    "verifier of one village": Actor(2, frozenset({Role.VILLAGE}), frozenset({3})),
    "hr": Actor(3, frozenset({Role.HR})),
    "finance": Actor(4, frozenset({Role.FINANCE})),
    "hr and finance": Actor(5, frozenset({Role.HR, Role.FINANCE})),
    "verifier and hr": Actor(6, frozenset({Role.VILLAGE, Role.HR}), frozenset({4})),
    "admin": Actor(7, frozenset({Role.ADMIN})),
}
FILTERS = {
    "none": Filters(),
    "overdue": Filters(overdue=True),
    "type": Filters(subsidy_type="transport_subsidy"),
    "village": Filters(village_id=2),
    "state": Filters(state="village_verified"),
    "name": Filters(q="卓玛"),
    "whole name": Filters(q="扎西次仁"),
    "ID last 4": Filters(q="0007"),
    "ID last 2": Filters(q="17"),
    "overdue and type": Filters(overdue=True, subsidy_type="labour_export_service"),
}


def expected(
    claims: list[dict[str, object]], actor: Actor, f: Filters
) -> tuple[list[int], dict[str, int], int]:
    """The plain definition, in Python: the rows in order, the count of each state, the overdue.
    The head (the admin) also sees what waits for HR, to assign it (``workflow.review``)."""
    roles = actor.roles | ({Role.HR} if Role.ADMIN in actor.roles else set())

    def seen(c: dict[str, object]) -> bool:
        if (
            Role.VILLAGE in actor.roles
            and c["state"] in WAITING["village"]
            and c["village_id"] in actor.village_ids
        ):
            return True
        return any(r in roles and c["state"] in WAITING[r.value] for r in (Role.HR, Role.FINANCE))

    def kept(c: dict[str, object]) -> bool:
        q = f.q or ""
        return (
            seen(c)
            and (not f.subsidy_type or c["subsidy_type"] == f.subsidy_type)
            and (not f.village_id or c["village_id"] == f.village_id)
            and (not q or (str(c["last4"]).endswith(q) if q.isdigit() else str(c["name"]).startswith(q)))
        )

    base = [c for c in claims if kept(c)]
    states = [s for r in WAITING if Role(r) in roles for s in WAITING[r]]
    cap = worklist.COUNT_CAP + 1
    counts = {s: min(sum(c["state"] == s for c in base), cap) for s in states}
    overdue = min(sum(late(c) for c in base), cap)
    rows = [c for c in base if (not f.state or c["state"] == f.state) and (not f.overdue or late(c))]
    return [c["id"] for c in sorted(rows, key=lambda c: (c["due_at"] or NOW, c["id"]))], counts, overdue  # type: ignore[misc]


def late(c: dict[str, object]) -> bool:
    return c["due_at"] is not None and c["due_at"] < NOW  # type: ignore[operator]


@pytest.mark.parametrize("cap", [10_000, 7])
def test_every_page_of_every_inbox_is_the_plain_definition(db, claims, monkeypatch, cap) -> None:
    monkeypatch.setattr(worklist, "COUNT_CAP", cap)
    by_id = {c["id"]: c for c in claims}
    for who, actor in ACTORS.items():
        for name, f in FILTERS.items():
            rows, counts, overdue = expected(claims, actor, f)
            shown: list[int] = []
            cursor = None
            with db.sessions() as s:
                while True:
                    asked = with_tails(db.vault, Filters(**{**f.__dict__, "cursor": cursor}))
                    page = claims_inbox(s, actor, NOW, asked, page=4)
                    assert (page.counts, page.overdue) == (counts, overdue), (who, name)
                    for r in page.rows:
                        c = by_id[r.id]
                        tail = db.vault.tail(r.id_enc)
                        assert (r.name, tail, r.village_id, r.state, r.due_at) == (
                            c["name"],
                            c["last4"],
                            c["village_id"],
                            c["state"],
                            c["due_at"],
                        )
                    shown += [r.id for r in page.rows]
                    if not (cursor := page.next_cursor):
                        break
                    assert len(page.rows) == 4
            assert shown == rows, (who, name)


def test_a_cursor_deep_in_the_list_starts_after_its_claim_even_among_ties(db, claims) -> None:
    hr = ACTORS["hr"]
    rows, _, _ = expected(claims, hr, Filters())
    middle = next(c for c in claims if c["id"] == rows[len(rows) // 2])
    cursor = worklist.encode_cursor(middle["due_at"], middle["id"])  # type: ignore[arg-type]
    with db.sessions() as s:
        page = claims_inbox(s, hr, NOW, Filters(cursor=cursor), page=5)
    assert [r.id for r in page.rows] == rows[len(rows) // 2 + 1 :][:5]


@pytest.mark.parametrize("cap", [10_000, 7, 2])
def test_claims_without_a_due_time_are_counted_but_never_overdue(db, claims, monkeypatch, cap) -> None:
    monkeypatch.setattr(worklist, "COUNT_CAP", cap)
    undated = {c["id"] for c in claims[::3]}
    with db.transaction() as s:
        s.execute(update(Claim).where(Claim.id.in_(undated)).values(due_at=None))
    claims = [{**c, "due_at": None} if c["id"] in undated else c for c in claims]
    for who, actor in ACTORS.items():
        for name, f in FILTERS.items():
            f = replace(f, overdue=False, state=None)  # the counts are of the whole inbox
            _, counts, overdue = expected(claims, actor, f)
            with db.sessions() as s:
                page = claims_inbox(s, actor, NOW, with_tails(db.vault, f))
            assert (page.counts, page.overdue) == (counts, overdue), (who, name)


def test_a_contract_waiting_for_hr_is_listed_with_its_persons_name(db) -> None:
    c = county(db)
    pid = person(db, c.village, name="格桑")
    with db.transaction() as s:
        post = create_post(s, c.hr, PostInput(c.village, "保洁员", Decimal("800"), 1, False))
        s.flush()
        cid = propose_contract(
            s, db, c.hr, ContractInput(post.id, pid, date(2027, 1, 1), date(2027, 12, 31))
        ).id
    transition(db, "contract", cid, "return", c.verifier, comment="身份证复印件不清楚")
    lines = inbox(db, c.hr, Filters()).contracts
    assert [(k.id, k.name, k.start_date, k.end_date, k.state) for k in lines] == [
        (cid, "格桑", date(2027, 1, 1), date(2027, 12, 31), "returned")
    ]
    assert inbox(db, c.verifier, Filters()).contracts == []
