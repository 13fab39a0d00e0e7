"""Look-ups by resident ID (issue 14 §8): an agent finds only the people its organisation
registered or filed claims for; for anyone else the answer is the one for a number nobody has,
with nothing private in it (poverty status, village, bank account tail); and look-ups are
limited per agent (30 a minute, in the shared table), answered 429 with Retry-After and a code."""

from __future__ import annotations

from datetime import datetime

import pytest

from store.people.reach import LOOK_UPS
from workflow.clock import FrozenClock

from .api_support import api_client
from .builders import id_number
from .builders_reach import registered

PROBLEM = "application/problem+json"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 10, 15, 9, 30))


@pytest.fixture
def api(db, tmp_path):  # type: ignore[no-untyped-def]
    with api_client(db, tmp_path / "files") as client:
        yield client


def test_twenty_of_twenty_other_organisations_people_reveal_nothing(api) -> None:  # type: ignore[no-untyped-def]
    theirs = [registered(api, api.other_token, name=f"格桑{i}")[1] for i in range(20)]
    unknown = api.post("/api/v1/persons/lookup", json={"id_number": id_number()})
    assert unknown.status_code == 404
    private = ("阿东村", "533422101001", "poverty", "0123", "1990-01-01", "格桑")
    for number in theirs:
        r = api.post("/api/v1/persons/lookup", json={"id_number": number})
        assert (r.status_code, r.headers["content-type"], r.content) == (
            404,
            unknown.headers["content-type"],
            unknown.content,
        )
        assert not any(word in r.text for word in private)
    # Their own organisation reads them in full.
    own = api.post("/api/v1/persons/lookup", token=api.other_token, json={"id_number": theirs[0]})
    assert own.status_code == 200 and own.json()["bank_account_masked"] == "****0123"


def test_look_ups_are_limited_per_agent_with_retry_after(api, clock) -> None:  # type: ignore[no-untyped-def]
    mine = registered(api)[1]
    answers = [
        api.post("/api/v1/persons/lookup", json={"id_number": mine if i % 2 else id_number()}).status_code
        for i in range(LOOK_UPS.limit)
    ]
    assert set(answers) == {200, 404}
    refused = api.post("/api/v1/persons/lookup", json={"id_number": mine})
    assert refused.status_code == 429 and refused.headers["content-type"].startswith(PROBLEM)
    body = refused.json()
    assert body["code"] == "lookup.rate_limited" and "每分钟最多30次" in body["detail"]
    assert 0 < int(refused.headers["retry-after"]) <= 60
    # Another agent is not held up; and after the minute this one may look up again.
    assert (
        api.post("/api/v1/persons/lookup", token=api.other_token, json={"id_number": mine}).status_code == 404
    )
    clock.advance(seconds=int(refused.headers["retry-after"]))
    assert api.post("/api/v1/persons/lookup", json={"id_number": mine}).status_code == 200


def test_staff_searches_by_a_whole_id_number_are_limited_too(db, c, clock) -> None:  # type: ignore[no-untyped-def]
    from store.people import PersonInput, create_person
    from store.search.finder import resolve_text

    number = id_number()
    with db.transaction() as s:
        create_person(s, db, PersonInput(name="扎西", id_number=number, village_id=c.village))
    answers = [resolve_text(db, c.hr, number) for _ in range(LOOK_UPS.limit)]
    assert all(a.person_id is not None for a in answers)
    refused = resolve_text(db, c.hr, number)
    assert refused.person_id is None and "每分钟最多30次" in (refused.error or "")
    assert resolve_text(db, c.hr, "扎西").error is None  # a name is no look-up by ID number
    assert resolve_text(db, c.hr2, number).person_id is not None  # another user: their own count
