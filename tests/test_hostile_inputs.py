"""Hostile input is a 4xx, never a 500: every route with an id in its path (pages and API, found
by walking the app's route table) under ids a database key cannot hold, as every role; JSON nested
thousands deep, duplicate keys, NaN and Infinity, numbers of 10³⁰ in integer fields, dates a
calendar or the plan cannot hold in every date field, and NUL characters, each refused with a
problem naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from store.access.users import create_token, create_user
from store.models import User
from web.app import create_app

from .builders import county, id_number
from .multipart import form
from .page_support import PASSWORD, csrf_of, sign_in

HOSTILE_IDS = [str(2**63), str(2**64), "9" * 40, str(2**31), "0", "-1"]
STAFF = {"village": "village1", "hr": "hr1", "finance": "finance1", "admin": "admin1", "agent": "agent1"}
WORDS = {"kind": "approval_form", "fmt": "csv", "action": "take", "name": "x"}


@pytest.fixture
def world(db, tmp_path):
    c = county(db)
    with db.transaction() as s:
        create_user(s, db, username="admin1", password=PASSWORD, roles=["admin"])
        token = create_token(s, db, s.get(User, c.agent.user_id))
    app = create_app(db, files=tmp_path / "files", secure_cookies=False)
    clients: dict[str, tuple[TestClient, dict[str, str]]] = {}
    for role, username in STAFF.items():
        browser = sign_in(db, username)
        home = "/agent/claims" if role == "agent" else "/inbox"
        clients[role] = (browser.client, {"x-csrftoken": csrf_of(browser.get(home).text)})
    anonymous = TestClient(app)
    anonymous.__enter__()
    clients["anonymous"] = (anonymous, {})
    clients["api"] = (anonymous, {"Authorization": f"Bearer {token}"})
    yield app, clients, c
    anonymous.__exit__(None, None, None)
    for client, _ in clients.values():
        client.__exit__(None, None, None)


def id_routes(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, its parameters) of every route with an integer in its path."""
    found = []
    for route in app.routes:
        params = getattr(route, "path_parameters", {})
        if not any(p.type is int for p in params.values()):
            continue
        for method in sorted(set(getattr(route, "methods", ())) - {"OPTIONS", "HEAD"}):
            found.append((method, route.path, params))
    return found


def test_an_id_no_key_can_hold_is_a_4xx_on_every_route_for_every_role(world):
    app, clients, _ = world
    routes = id_routes(app)
    assert len(routes) > 50  # the walk really found the pages and the API
    assert any(path.startswith("/api/") for _, path, _ in routes)
    failures = []
    for method, template, params in routes:
        for value in HOSTILE_IDS:
            path = template
            for p in params.values():
                path = path.replace("{" + p.full + "}", value if p.type is int else WORDS.get(p.name, "x"))
            for role, (client, headers) in clients.items():
                for accept in ("text/html", "application/json"):
                    r = client.request(
                        method, path, headers={**headers, "Accept": accept}, follow_redirects=False
                    )
                    if not 400 <= r.status_code < 500:
                        failures.append((method, path, role, r.status_code))
                    elif accept == "application/json":
                        assert r.headers["content-type"].startswith("application/problem+json"), path
    assert not failures, failures[:20]


def test_an_id_out_of_range_is_a_404_naming_the_parameter(world):
    _, clients, _ = world
    client, headers = clients["api"]
    r = client.get(f"/api/v1/claims/{2**63}", headers=headers)
    assert r.status_code == 404
    assert r.json()["errors"][0]["field"] == "claim_id"
    client, headers = clients["hr"]
    r = client.get(f"/claims/{2**63}", headers={**headers, "Accept": "application/json"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


# ------------------------------------------------------------------ JSON bodies of the API


@pytest.fixture
def api(world):
    _, clients, _c = world
    client, headers = clients["api"]
    r = client.post(
        "/api/v1/persons",
        json={
            "name": "扎西",
            "id_number": id_number(),
            "village_code": "533422101001",
            "target_groups": ["poverty_alleviated"],
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text

    def post(path: str, body: str | bytes) -> Any:
        raw = body.encode() if isinstance(body, str) else body
        return client.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})

    return post, r.json()["id"]


def refused(r: Any, field: str | None = None) -> dict[str, Any]:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if field is not None:
        named = {e["field"] for e in body.get("errors") or []}
        assert any(field in n for n in named), (field, body)
    return body


@pytest.mark.parametrize("depth", [1000, 5000, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/claims", "/api/v1/persons", "/api/v1/lists/json"])
def test_json_nested_thousands_deep_is_a_400(api, path, depth):
    post, _ = api
    body = refused(post(path, '{"facts":' + "[" * depth + "]" * depth + "}"))
    assert depth < 5000 or body["code"] == "validation.json_too_deep"
    body = refused(post(path, "[" * depth + "]" * depth))
    assert depth < 5000 or body["errors"][0]["field"] == "body"


def test_a_huge_json_body_is_a_413(api):
    post, _ = api
    body = b'{"subsidy_type":"transport_subsidy","facts":{"course_id":"' + b"x" * (13 * 2**20) + b'"}}'
    assert refused(post("/api/v1/claims", body))["code"] == "request.too_large"


def test_duplicate_keys_nan_and_infinity(api):
    post, person = api
    dupe = f'{{"subsidy_type":"transport_subsidy","subsidy_type":"nope","person_id":{person}}}'
    refused(post("/api/v1/claims", dupe), "subsidy_type")  # the last one counts, as in JSON.parse
    for word in ("NaN", "Infinity", "-Infinity"):
        body = f'{{"subsidy_type":"transport_subsidy","person_id":{person},"facts":{{"fare":{word}}}}}'
        refused(post("/api/v1/claims", body))


HUGE = "1" + "0" * 30


@pytest.mark.parametrize(
    ("subsidy", "fact"),
    [
        ("training_allowance", "course_days"),
        ("work_for_training", "training_months"),
        ("public_welfare_post", "attendance_days"),
        ("transport_subsidy", "fare"),
        ("work_for_training", "wages_paid"),
    ],
)
@pytest.mark.parametrize("quoted", [False, True])
def test_a_huge_number_in_a_fact_is_refused_naming_it(api, subsidy, fact, quoted):
    post, person = api
    value = f'"{HUGE}"' if quoted else HUGE
    body = f'{{"subsidy_type":"{subsidy}","person_id":{person},"facts":{{"{fact}":{value}}}}}'
    refused(post("/api/v1/claims", body), fact)


@pytest.mark.parametrize("field", ["person_id", "policy_year", "contract_id"])
def test_a_huge_number_in_an_integer_field_is_refused_naming_it(api, field):
    post, _ = api
    refused(post("/api/v1/claims", f'{{"subsidy_type":"transport_subsidy","{field}":{HUGE}}}'), field)
    refused(post("/api/v1/claims/1/withdraw", f'{{"version":{HUGE}}}'), "version")


ODD_DAYS = ["9999-12-31", "0001-01-01", "2026-02-30", "0000-00-00", "99999-01-01", "2026-13-01"]
DATE_FACTS = [
    ("transport_subsidy", "employment_start"),
    ("labour_export_service", "employment_start"),
    ("migrant_work_reward", "employment_start"),
    ("training_allowance", "course_end"),
]


@pytest.mark.parametrize("day", ODD_DAYS)
def test_an_odd_date_is_refused_naming_the_field_in_every_date_field(api, day):
    post, person = api
    for subsidy, fact in DATE_FACTS:
        facts = {fact: day, "destination": "out_of_province", "course_id": "C1", "course_completed": True}
        body = json.dumps({"subsidy_type": subsidy, "person_id": person, "facts": facts})
        refused(post("/api/v1/claims", body), fact)
        refused(post(f"/api/v1/claims/{person}/resubmit", json.dumps({"facts": facts})))
    registration = {"name": "卓玛", "id_number": id_number(), "village_code": "533422101001"}
    body = json.dumps({**registration, "graduate_left_school": day})
    refused(post("/api/v1/persons", body), "graduate_left_school")


def test_nul_characters_are_refused_naming_where(api):
    post, person = api
    registration = {"name": "扎\u0000西", "id_number": id_number(), "village_code": "533422101001"}
    refused(post("/api/v1/persons", json.dumps(registration)), "body")
    facts = {"destination": "out\u0000", "employment_start": "2026-03-01"}
    body = json.dumps({"subsidy_type": "transport_subsidy", "person_id": person, "facts": facts})
    refused(post("/api/v1/claims", body), "body")
    refused(post("/api/v1/lists/json", json.dumps({"rows": [{"姓名": "扎\u0000西"}]})), "body")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/claims", "text/plain"),
        ("/api/v1/claims", "application/xml"),
        ("/api/v1/persons", "multipart/form-data; boundary=x"),
        ("/api/v1/claims/1/evidence", "application/json"),
        ("/api/v1/lists", "application/json"),
    ],
)
def test_a_body_of_another_media_type_is_a_415(world, path, content_type):
    _, clients, _ = world
    client, headers = clients["api"]
    r = client.post(path, content=b'{"a": 1}', headers={**headers, "Content-Type": content_type})
    assert (r.status_code, refused(r)["code"]) == (415, "request.unsupported_media_type")


def test_every_operation_documents_its_refusals(world):
    _, clients, _ = world
    client, _ = clients["anonymous"]
    document = client.get("/schema/openapi.json").json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "401", "503"} <= documented, (method, path)
            if method == "post":
                assert {"413", "415", "422"} <= documented, (method, path)
            if "{" in path:
                assert "404" in documented, (method, path)


def test_a_file_part_without_a_file_name_is_a_400_not_a_500(world):
    """Found by Schemathesis at 200 examples: a file sent with ``filename=""`` is read by Litestar
    as a text field, whose bytes are no UTF-8."""
    body, kind = form(
        [("dry_run", None, b"true", None), ("file", "", b"*\xff\xfe", "application/octet-stream")]
    )
    _, clients, _c = world
    client, headers = clients["api"]
    r = client.post("/api/v1/lists", content=body, headers={**headers, **kind})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "validation.form_encoding"
