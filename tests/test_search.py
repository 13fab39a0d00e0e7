"""Search (查找): any claim, contract or person a staff member may see, in any state, by number,
name, the ID number's last digits, the whole ID number (by its keyed hash, never in a URL),
claimant, list or payout batch; keyset-paged both ways; each claim says where it is."""

from __future__ import annotations

import logging
import re
from datetime import date

import pytest

from store.claims import ClaimInput, submit_claim, take_claims
from store.payouts import batch_pool
from store.people.persons import PersonInput, create_person
from store.search import SearchQuery, find_records, resolve_text
from store.search import finder as finder_module
from store.transitions import transition
from workflow.errors import ValidationFailed
from workflow.machines import CLAIM
from workflow.search_terms import Asks, looks_like_full_id, parse

from .builders import County, add_admin, claim_in, export_claim, id_number
from .builders_payouts import give_payee_an_account, pay_through_batch
from .page_support import sign_in


def registered(db, village: int, name: str, number: str | None = None) -> tuple[int, str]:
    """A person with a known ID number: (their id, the number)."""
    number = number or id_number()
    with db.transaction() as s:
        person = create_person(
            s, db, PersonInput(name=name, id_number=number, village_id=village, target_groups=("relocated",))
        )
        return person.id, number


def walked(db, c: County, person_id: int, state: str):
    """A labour-export claim of this person walked to ``state`` (as builders.claim_in)."""
    claim = export_claim(db, c, person_id)
    actors = {"village": c.verifier, "hr": c.hr}
    for step in CLAIM.path_to(state):
        claim = transition(db, "claim", claim.id, step.trigger, actors[step.role.value], comment="材料不全")
    return claim


# ------------------------------------------------------------------ what the text asks for


@pytest.mark.parametrize(
    ("text", "asks", "shown"),
    [
        ("1234", Asks.DIGITS, "1234"),
        (" 7 ", Asks.DIGITS, "7"),
        ("123456", Asks.NUMBER, "123456"),
        ("123x", Asks.ID_TAIL, "123X"),
        ("l12", Asks.LIST, "L12"),
        ("fk2026-0001", Asks.PAYOUT, "FK2026-0001"),
        ("卓玛", Asks.NAME, "卓玛"),
        ("迪庆人力", Asks.NAME, "迪庆人力"),
        ("533422199001011236", Asks.FULL_ID, "5334**********1236"),
        ("5334 2219 9001 0112 36", Asks.FULL_ID, "5334**********1236"),
    ],
)
def test_what_the_text_asks_for(text, asks, shown) -> None:
    terms = parse(text)
    assert (terms.asks, terms.shown) == (asks, shown)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "validation.search_empty"),
        ("卓", "validation.search"),
        ("533422199001011232", "validation.id_number_checksum"),
        ("5334221990010112361", "validation.search_digits"),
        ("12345X", "validation.search_digits"),
    ],
)
def test_what_the_search_refuses(text, code) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse(text)
    assert info.value.code == code


def test_a_whole_id_number_is_recognised_however_it_is_pasted() -> None:
    assert looks_like_full_id(" 53342219850105123x ")
    assert looks_like_full_id("533422 19850105 123X")
    assert not looks_like_full_id("5334221985010512")
    assert not looks_like_full_id("卓玛")


# ------------------------------------------------------------------ finding


def ids(page) -> list[int]:
    return [r.id for r in (page.claims or page.contracts or page.persons)]


def test_hr_finds_claims_in_every_state_by_name_id_digits_number_and_whole_id(db, c) -> None:
    pid, number = registered(db, c.village, "次仁央宗")
    reviewed = walked(db, c, pid, "hr_reviewed").id
    states = ("submitted", "village_verified", "returned", "rejected")
    others = {s: walked(db, c, registered(db, c.village, f"次仁{s}")[0], s).id for s in states}
    by_name = find_records(db, c.hr, SearchQuery("次仁"))
    assert sorted(ids(by_name)) == sorted([reviewed, *others.values()])
    assert by_name.counts == {"claims": 5, "contracts": 0, "persons": 5}
    assert {r.state for r in by_name.claims} == {"hr_reviewed", *states}
    assert ids(find_records(db, c.hr, SearchQuery(number[-4:]))) == [reviewed]
    rejected = {r.id: r for r in find_records(db, c.hr, SearchQuery(str(others["rejected"]))).claims}
    assert rejected[others["rejected"]].state == "rejected"
    found = resolve_text(db, c.hr, f" {number[:6]} {number[6:]} ")
    assert found.person_id == pid and number not in found.shown
    whole = find_records(db, c.hr, SearchQuery(person_id=pid))
    assert ids(whole) == [reviewed]
    assert whole.shown == "次仁央宗" and whole.shown_id == "*" * 14 + number[-4:]
    people = find_records(db, c.hr, SearchQuery(person_id=pid, kind="persons"))
    assert [p.id for p in people.persons] == [pid]


def test_a_verifier_finds_only_their_own_villages_records(db, c) -> None:
    mine, _ = registered(db, c.village, "扎西平措")
    theirs, number = registered(db, c.other_village, "扎西顿珠")
    own = export_claim(db, c, mine).id
    other = export_claim(db, c, theirs).id
    page = find_records(db, c.verifier, SearchQuery("扎西"))
    assert ids(page) == [own] and page.counts == {"claims": 1, "contracts": 0, "persons": 1}
    assert other not in [r.id for r in find_records(db, c.verifier, SearchQuery(str(other))).claims]
    assert resolve_text(db, c.verifier, number).person_id is None  # not found, as another village's
    assert resolve_text(db, c.other_verifier, number).person_id == theirs
    assert ids(find_records(db, c.finance, SearchQuery("扎西"))) == [other, own]


def test_claimant_list_and_payout_batch_each_find_their_claims(db, c) -> None:
    listed = [
        submit_claim(
            db,
            c.agent,
            ClaimInput(
                "labour_export_service",
                registered(db, c.village, f"格桑{i}")[0],
                2026,
                {"destination": "out_of_province", "employment_start": "2026-03-01"},
                batch_ref="L7",
            ),
        ).id
        for i in range(3)
    ]
    by_agency = export_claim(db, c, registered(db, c.village, "白玛")[0], agent=c.other_agent).id
    assert sorted(ids(find_records(db, c.hr, SearchQuery("L7")))) == listed
    assert ids(find_records(db, c.hr, SearchQuery("人力资源服务"))) == [by_agency]  # 迪庆人力资源服务公司
    paid = claim_in(db, c, "hr_reviewed")
    pay_through_batch(db, c.finance, paid.id)
    page = find_records(db, c.hr, SearchQuery(str(paid.id)))
    # Up to 4 digits are a claim number or an ID number's last digits: the claim is among the
    # results (a person whose ID ends in the same digits may be too, by the builders' sequence).
    (row,) = [r for r in page.claims if r.id == paid.id]
    assert (row.state, row.payout_status, row.paid_on) == ("finance_paid", "paid", date(2026, 11, 27))
    assert ids(find_records(db, c.hr, SearchQuery(row.payout_batch))) == [paid.id]


def test_where_is_my_subsidy_waiting_held_in_a_batch_or_paid(db, c) -> None:
    waiting = claim_in(db, c, "village_verified")
    take_claims(db, c.hr2, [waiting.id])
    pending = claim_in(db, c, "hr_reviewed")
    give_payee_an_account(db, pending.id)
    batch = batch_pool.create_batch(db, c.finance, [pending.id])
    rows = {r.id: r for r in find_records(db, c.hr, SearchQuery("卓玛")).claims}
    assert (rows[waiting.id].waiting_for, rows[waiting.id].holder) == ("人社局审核", "hr2")
    assert rows[waiting.id].due_at is not None
    assert (rows[pending.id].payout_status, rows[pending.id].payout_batch) == ("pending", batch.reference)


def test_pages_both_ways_are_the_plain_definition(db, c, monkeypatch) -> None:
    monkeypatch.setattr(finder_module, "PAGE", 4)
    made = [export_claim(db, c, registered(db, c.village, f"德吉{i:02d}")[0]).id for i in range(11)]
    expected = sorted(made, reverse=True)
    pages, cursor = [], None
    while True:
        page = find_records(db, c.hr, SearchQuery("德吉", after=cursor))
        pages.append(ids(page))
        if not (cursor := page.next_after):
            break
    assert pages == [expected[0:4], expected[4:8], expected[8:11]]
    assert page.prev_before == expected[8]
    back, before = [], page.prev_before
    while before:
        page = find_records(db, c.hr, SearchQuery("德吉", before=before))
        back.append(ids(page))
        before = page.prev_before
    assert back == [expected[4:8], expected[0:4]]
    assert page.next_after == expected[3] and page.prev_before is None


# ------------------------------------------------------------------ the page


def test_a_pasted_whole_id_number_never_reaches_a_url_a_page_or_a_log(db, c, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    pid, number = registered(db, c.village, "拉姆")
    claim = export_claim(db, c, pid)
    hr = sign_in(db, "hr1")
    r = hr.submit("/search", "/search", {"q": number})
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith("/search?person=") and number not in location
    page = hr.get(location)
    assert f'href="/claims/{claim.id}"' in page.text and number not in page.text
    assert "*" * 14 + number[-4:] in page.text
    unknown = hr.submit("/search", "/search", {"q": id_number()})
    assert unknown.status_code == 200 and "未找到该身份证号的人员" in unknown.text
    assert caplog.records  # the app's log is captured (the frozen clock's warning at least) …
    assert not [rec for rec in caplog.records if number in rec.getMessage()]  # … without the number
    typed = hr.get(f"/search?q={number}")  # typed into a URL by hand: refused, not echoed
    assert "不会出现在网址中" in typed.text and number not in typed.text


def test_the_search_page_tabs_pages_and_says_where_each_claim_is(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    hr = sign_in(db, "hr1")
    r = hr.submit("/search", "/search", {"q": "卓玛"})
    assert r.status_code == 303 and r.headers["location"] == "/search?q=%E5%8D%93%E7%8E%9B&kind=claims"
    page = hr.get(r.headers["location"]).text
    assert f'data-claim="{claim.id}"' in page and "等待人社局审核" in page
    assert re.search(r'data-kind="persons">人员 <b>1</b>', page)
    persons = hr.get("/search?q=卓玛&kind=persons").text
    assert persons.count("data-person=") == 1 and 'href="/persons/' in persons
    assert "按姓名查询请至少输入两个字" in hr.get("/search?q=卓").text


def test_every_staff_role_has_the_search_and_an_agent_does_not(db, c) -> None:
    add_admin(db)
    for user in ("village1", "hr1", "finance1", "admin1"):
        page = sign_in(db, user).get("/search")
        assert page.status_code == 200 and 'href="/search"' in page.text


def test_the_search_page_in_english(db, c) -> None:
    from .test_i18n import UI_WORDS

    claim_in(db, c, "village_verified")
    hr = sign_in(db, "hr1")
    hr.get("/lang/en")
    text = re.sub(r"<[^>]+>", " ", hr.get("/search?q=卓玛").text)
    assert "Find claims, contracts and people" in text and "Waiting for HR bureau review" in text
    assert [w for w in UI_WORDS if w in text] == []
