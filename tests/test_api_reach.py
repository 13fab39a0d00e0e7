"""An agent reaches only the people it may act for: the persons its organisation registered or
filed claims for (and, to name by id, those it is linked to); everyone else is named by the full
resident ID in the body, and any other id is answered exactly like an id nobody has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import func, select

from store.claims.evidence import add_evidence
from store.models import Claim, ClaimList, Person
from workflow.clock import FrozenClock

from .api_support import Api, api_client
from .builders import id_number, person
from .builders_reach import IN_COUNTY, claim_body, registered, third_agent

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FAR = 2_000_000_000  # an id no table reaches in a test


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 10, 15, 9, 30))  # a Thursday of the seeded 2026


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path / "files") as client:
        yield client


def nobody(api: Api, method: str, path: str, token: str | None = None, **kw):  # type: ignore[no-untyped-def]
    """The answer for an id that does not exist: what every id outside reach must look like."""
    r = getattr(api, method)(path, token=token, **kw)
    assert r.status_code == 404, r.text
    return r


def same_answer(r, reference) -> bool:  # type: ignore[no-untyped-def]
    return (r.status_code, r.headers["content-type"], r.content) == (
        reference.status_code,
        reference.headers["content-type"],
        reference.content,
    )


def test_a_person_another_organisation_registered_is_not_found_and_cannot_be_claimed_by_id(api):
    theirs, _ = registered(api, api.other_token, name="格桑")
    read = api.get(f"/api/v1/persons/{theirs}")
    assert same_answer(read, nobody(api, "get", f"/api/v1/persons/{FAR}"))
    filed = api.post("/api/v1/claims", json=claim_body(person_id=theirs))
    assert same_answer(filed, nobody(api, "post", "/api/v1/claims", json=claim_body(person_id=FAR)))
    assert filed.json()["code"] == "not_found.person"
    # Today's leak was: the claim went in (201, name and masked ID), then the person was read.
    assert api.get("/api/v1/claims").json()["items"] == []
    assert api.get(f"/api/v1/persons/{theirs}").status_code == 404


def test_anyone_registered_is_named_by_the_full_resident_id_and_is_then_within_reach(api):
    theirs, number = registered(api, api.other_token, name="格桑")
    filed = api.post("/api/v1/claims", json=claim_body(id_number=number))
    assert filed.status_code == 201, filed.text
    claim = filed.json()
    assert claim["person_id"] == theirs and claim["person_name"] == "格桑"
    assert claim["person_id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in filed.text
    read = api.get(f"/api/v1/persons/{theirs}")
    # The age, never the birth date: beside the masked number it would complete it.
    assert read.status_code == 200 and read.json()["age"] == 36 and "birth_date" not in read.json()
    unknown = api.post("/api/v1/claims", json=claim_body(id_number=id_number()))
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found.person"


@pytest.mark.parametrize("naming", [{}, {"person_id": 1, "id_number": "533422199001011236"}])
def test_a_claim_names_its_person_one_way_and_only_one(api, naming):
    registered(api)
    r = api.post("/api/v1/claims", json=claim_body(**naming))
    assert r.status_code == 422 and r.json()["code"] == "validation.person_ref"
    assert r.json()["errors"][0]["field"] == "person_id"


def test_registering_someone_already_registered_links_without_showing_their_record(api):
    theirs, number = registered(api, api.other_token, name="格桑")
    again = api.post(
        "/api/v1/persons", json={"name": "格桑", "id_number": number, "village_code": "533422101002"}
    )
    assert again.status_code == 200, again.text
    assert again.json() == {
        "id": theirs,
        "name": "格桑",
        "created": False,
        "id_number_masked": number[:4] + "*" * 10 + number[-4:],
    }
    # Linked: the broker may now name the person by id; reading the record waits for a claim.
    assert api.get(f"/api/v1/persons/{theirs}").status_code == 404
    filed = api.post("/api/v1/claims", json=claim_body(person_id=theirs))
    assert filed.status_code == 201, filed.text
    assert api.get(f"/api/v1/persons/{theirs}").json()["village_code"] == "533422101001"


def test_a_registration_under_another_name_is_refused_and_links_nothing(api):
    theirs, number = registered(api, api.other_token, name="格桑")
    wrong = api.post(
        "/api/v1/persons", json={"name": "扎西", "id_number": number, "village_code": "533422101001"}
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "validation.name_mismatch"
    filed = api.post("/api/v1/claims", json=claim_body(person_id=theirs))
    assert filed.status_code == 404


def test_looking_up_someone_outside_reach_answers_like_an_unregistered_number(api):
    _, theirs = registered(api, api.other_token, name="格桑")
    _, mine = registered(api)
    assert api.post("/api/v1/persons/lookup", json={"id_number": mine}).status_code == 200
    outside = api.post("/api/v1/persons/lookup", json={"id_number": theirs})
    assert same_answer(
        outside, nobody(api, "post", "/api/v1/persons/lookup", json={"id_number": id_number()})
    )


def test_another_organisations_claim_is_not_found_whatever_version_is_sent(api):
    theirs, _ = registered(api, api.other_token)
    claim = api.post("/api/v1/claims", token=api.other_token, json=claim_body(person_id=theirs)).json()
    for version in (None, claim["version"], 99):
        body = {"facts": IN_COUNTY, "version": version}
        r = api.post(f"/api/v1/claims/{claim['id']}/resubmit", json=body)
        assert same_answer(r, nobody(api, "post", f"/api/v1/claims/{FAR}/resubmit", json=body))


# ---------------------------------------------------------------- counting through the numbers


@dataclass
class Scope:
    reads: set[int]  # persons the agent reads
    acts: set[int]  # persons the agent may name by id
    claims: set[int]
    lists: set[int]
    top_person: int
    top_claim: int
    top_list: int
    evidence: list[tuple[int, int]]  # (claim id, evidence id): the broker's, the agency's


def a_county_of_several_organisations(api: Api, db, files) -> Scope:  # type: ignore[no-untyped-def]
    """The broker (the token's organisation), an HR agency, a village committee and the staff
    each register people; some claim for others' people by resident ID; the broker links one
    person by registering them again; and each files a list."""
    village_committee = third_agent(db)
    mine = [registered(api, name=f"卓玛{i}") for i in range(2)]
    agency = [registered(api, api.other_token, name=f"格桑{i}") for i in range(3)]
    for i in range(2):
        registered(api, village_committee, name=f"次仁{i}")
    staff = [person(db, api.county.village, name=f"拉姆{i}") for i in range(2)]
    # The agency claims for one of the broker's people, by resident ID (now both read them).
    api.post("/api/v1/claims", token=api.other_token, json=claim_body(id_number=mine[0][1]))
    # The broker claims for a person staff registered, by resident ID.
    from_staff = api.post("/api/v1/claims", json=claim_body(id_number=_number(db, staff[0]))).json()
    # The broker registers one of the agency's people again: linked, not read.
    linked = api.post(
        "/api/v1/persons", json={"name": "格桑1", "id_number": agency[1][1], "village_code": "533422101001"}
    )
    assert linked.status_code == 200
    own_claims = {
        from_staff["id"],
        api.post("/api/v1/claims", json=claim_body(person_id=mine[1][0])).json()["id"],
    }
    for token, name in ((api.other_token, "达瓦"), (village_committee, "央金")):
        pid, _ = registered(api, token, name=name)
        api.post("/api/v1/claims", token=token, json=claim_body(person_id=pid))
    lists = {}
    for token in (None, api.other_token, village_committee):
        rows = [
            {
                "姓名": "尼玛",
                "身份证号": id_number(),
                "行政村代码": "533422101001",
                "帮扶对象类别": "脱贫人口",
                "补贴类型": "有组织劳务输出就业创业服务补助",
                "务工地点": "省外",
                "就业开始日期": "2026-03-01",
                "政策年度": "2026",
            }
        ]
        r = api.post("/api/v1/lists/json", token=token, json={"rows": rows})
        assert r.status_code == 201 and r.json()["rows_accepted"] == 1, r.text
        lists[token] = r.json()
    own_claims.add(lists[None]["rows"][0]["claim_id"])
    listed_person = api.get(f"/api/v1/claims/{lists[None]['rows'][0]['claim_id']}").json()
    evidence = [
        (claim_id, add_evidence(db, files, agent, claim_id, "证明.pdf", PDF).id)
        for agent, claim_id in (
            (api.county.agent, from_staff["id"]),
            (api.county.other_agent, lists[api.other_token]["rows"][0]["claim_id"]),
        )
    ]
    reads = {mine[0][0], mine[1][0], staff[0], listed_person["person_id"]}
    with db.sessions() as s:
        top = {model: s.scalar(select(func.max(model.id))) for model in (Person, Claim, ClaimList)}
    return Scope(
        reads=reads,
        acts=reads | {agency[1][0]},
        claims=own_claims,
        lists={lists[None]["id"]},
        top_person=top[Person] + 4,
        top_claim=top[Claim] + 4,
        top_list=top[ClaimList] + 4,
        evidence=evidence,
    )


def _number(db, person_id: int) -> str:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        return db.vault.decrypt(s.get(Person, person_id).id_number_enc)


def answered(api: Api, ids: range, method: str, path: str, **kw) -> set[int]:  # type: ignore[no-untyped-def]
    """The ids a route answers with anything but the not-found answer for ``FAR``; every other
    id must get exactly that answer (status, content type and body)."""
    reference = nobody(api, method, path.format(id=FAR), **kw)
    found = set()
    for i in ids:
        r = getattr(api, method)(path.format(id=i), **kw)
        if r.status_code == 404:
            assert same_answer(r, reference), (path, i, r.text, reference.text)
        else:
            found.add(i)
    return found


def test_counting_through_every_id_finds_nobody_outside_the_agents_reach(api, db, tmp_path):
    scope = a_county_of_several_organisations(api, db, tmp_path / "files")
    persons = range(1, scope.top_person)
    assert answered(api, persons, "get", "/api/v1/persons/{id}") == scope.reads
    # Claims that the rule refuses (inside the county): nothing is filed while counting.
    before = len(api.get("/api/v1/claims").json()["items"])
    acted = set()
    reference = nobody(api, "post", "/api/v1/claims", json=claim_body(IN_COUNTY, person_id=FAR))
    for i in persons:
        r = api.post("/api/v1/claims", json=claim_body(IN_COUNTY, person_id=i))
        if r.status_code == 404:
            assert same_answer(r, reference), (i, r.text)
        else:
            assert r.status_code == 422, r.text
            acted.add(i)
    assert acted == scope.acts
    assert len(api.get("/api/v1/claims").json()["items"]) == before

    claims = range(1, scope.top_claim)
    for path, method, kw in [
        ("/api/v1/claims/{id}", "get", {}),
        ("/api/v1/claims/{id}/evidence", "get", {}),
        ("/api/v1/claims/{id}/documents/rejection_notice", "get", {}),
        ("/api/v1/claims/{id}/withdraw", "post", {"json": {"version": 99}}),
        ("/api/v1/claims/{id}/resubmit", "post", {"json": {"version": 99}}),
        ("/api/v1/claims/{id}/evidence", "post", {"files": {"file": ("a.txt", b"not a pdf", "text/plain")}}),
    ]:
        assert answered(api, claims, method, path, **kw) == scope.claims, path
    for _, evidence_id in scope.evidence:
        path = f"/api/v1/claims/{{id}}/evidence/{evidence_id}"
        reference = nobody(api, "get", path.format(id=FAR))
        for i in claims:
            r = api.get(path.format(id=i))
            if i not in scope.claims:
                assert same_answer(r, reference), (path, i, r.text)
    (own_claim, own), (_, theirs) = scope.evidence
    assert api.get(f"/api/v1/claims/{own_claim}/evidence/{own}").content == PDF
    stray = api.get(f"/api/v1/claims/{own_claim}/evidence/{theirs}")
    assert stray.status_code == 404 and stray.json()["code"] == "not_found.evidence"
    lists = range(1, scope.top_list)
    assert answered(api, lists, "get", "/api/v1/lists/{id}") == scope.lists
    assert answered(api, lists, "get", "/api/v1/lists/{id}/result.xlsx") == scope.lists


def test_a_claim_by_resident_id_keeps_no_plain_hash_of_its_body_for_idempotency(api, db):
    """The Idempotency-Key record keeps a hash of the request: keyed, since a plain SHA-256 of a
    body whose other fields are known gives the ID number back to whoever tries them all."""
    import msgspec

    from store.models import IdempotencyRecord
    from web.api.deps import fingerprint
    from web.api.schemas import ClaimIn

    _, number = registered(api, api.other_token, name="格桑")
    body = claim_body(id_number=number)
    r = api.post("/api/v1/claims", json=body, headers={"Idempotency-Key": "by-number-1"})
    assert r.status_code == 201, r.text
    with db.sessions() as s:
        kept = s.scalar(select(IdempotencyRecord.request_hash).where(IdempotencyRecord.key == "by-number-1"))
    sent = msgspec.json.encode(msgspec.json.decode(r.request.content, type=ClaimIn))
    assert kept and kept != fingerprint("POST", r.request.url.path, sent)
    again = api.post("/api/v1/claims", json=body, headers={"Idempotency-Key": "by-number-1"})
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == r.json()
