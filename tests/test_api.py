"""The agent API end to end: register, file, read, withdraw, resubmit, evidence, idempotency."""

from __future__ import annotations

import pytest

from store.transitions import transition

from .api_support import api_client
from .builders import id_number
from .multipart import Part, form

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path / "files") as client:
        yield client


def register(api, number=None, name="卓玛", **extra):
    body = {
        "name": name,
        "id_number": number or id_number(),
        "village_code": "533422101001",
        "target_groups": ["poverty_alleviated"],
        "bank_account": "6217000000000000123",
        **extra,
    }
    return api.post("/api/v1/persons", json=body)


def file_export(api, person_id, token=None, **facts):
    body = {
        "subsidy_type": "labour_export_service",
        "person_id": person_id,
        "facts": {"destination": "out_of_province", "employment_start": "2026-03-01", **facts},
    }
    return api.post("/api/v1/claims", json=body, token=token)


def test_registering_a_person_masks_the_id_and_never_echoes_it(api):
    number = id_number()
    r = register(api, number)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] is True
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in r.text and "6217000000000000123" not in r.text
    again = register(api, number)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    lookup = api.post("/api/v1/persons/lookup", json={"id_number": number})
    assert lookup.json()["id"] == body["id"]


def test_a_wrong_check_digit_names_the_field_in_chinese(api):
    good = id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = register(api, bad)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "validation.id_number_checksum"
    assert problem["errors"][0]["field"] == "id_number"
    assert "身份证号" in problem["detail"]


def test_file_read_and_follow_a_claim(api):
    person = register(api).json()
    r = file_export(api, person["id"])
    assert r.status_code == 201, r.text
    claim = r.json()
    assert claim["state"] == "submitted" and claim["amount"] == "300.00"
    assert claim["rule"] == "labour_export_service.out_of_province"
    assert "省外" in claim["rule_explanation"]
    assert claim["due_at"].startswith("2026-12-04")
    assert [h["trigger"] for h in claim["history"]] == ["submit"]
    read = api.get(f"/api/v1/claims/{claim['id']}")
    assert read.json()["id"] == claim["id"]


def test_rule_failure_is_a_problem_naming_the_rule(api):
    person = register(api).json()
    r = file_export(api, person["id"], destination="in_county")
    assert r.status_code == 422
    assert r.json()["code"] == "rule.no_subsidy_in_county"


def test_withdraw_then_the_place_is_free_again(api):
    person = register(api).json()
    claim = file_export(api, person["id"]).json()
    r = api.post(f"/api/v1/claims/{claim['id']}/withdraw", json={"comment": "本人放弃"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    assert file_export(api, person["id"]).status_code == 201


def test_resubmit_after_return_with_corrected_facts(api, db):
    person = register(api).json()
    claim = file_export(api, person["id"]).json()
    transition(db, "claim", claim["id"], "return", api.county.verifier, comment="务工地点有误")
    r = api.post(
        f"/api/v1/claims/{claim['id']}/resubmit",
        json={"facts": {"destination": "in_province", "employment_start": "2026-03-01"}},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "submitted" and body["amount"] == "200.00"
    assert [h["trigger"] for h in body["history"]] == ["submit", "return", "resubmit"]


def test_stale_version_is_a_conflict(api):
    person = register(api).json()
    claim = file_export(api, person["id"]).json()
    r = api.post(f"/api/v1/claims/{claim['id']}/withdraw", json={"version": claim["version"] + 5})
    assert r.status_code == 409 and r.json()["code"] == "conflict.stale"


def test_another_organisations_claim_does_not_exist_for_you(api):
    person = register(api).json()
    claim = file_export(api, person["id"]).json()
    other = api.other_token
    assert api.get(f"/api/v1/claims/{claim['id']}", token=other).status_code == 404
    assert api.get(f"/api/v1/claims/{claim['id'] + 999}", token=other).status_code == 404
    assert api.post(f"/api/v1/claims/{claim['id']}/withdraw", json={}, token=other).status_code == 404
    assert api.get(f"/api/v1/persons/{person['id']}", token=other).status_code == 404
    assert api.get("/api/v1/claims", token=other).json()["items"] == []


def test_no_token_or_a_bad_token_or_a_cookie_is_refused(api):
    assert api.client.get("/api/v1/claims").status_code == 401
    assert api.get("/api/v1/claims", token="fz_not-a-token").status_code == 401
    api.client.cookies.set("session", api.token)
    assert api.client.get("/api/v1/claims").status_code == 401


def test_evidence_is_checked_by_content_and_kept_with_its_checksum(api):
    person = register(api).json()
    claim = file_export(api, person["id"]).json()
    url = f"/api/v1/claims/{claim['id']}/evidence"
    ok = api.post(
        url, files={"file": ("收入证明.pdf", PDF, "application/pdf")}, data={"kind": "income_proof"}
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["content_type"] == "application/pdf"
    renamed = api.post(url, files={"file": ("photo.pdf", PNG, "application/pdf")})
    assert renamed.json()["content_type"] == "image/png"
    fake = api.post(url, files={"file": ("proof.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert fake.status_code == 422 and fake.json()["code"] == "validation.evidence_type"
    listed = api.get(url).json()
    assert [e["filename"] for e in listed] == ["收入证明.pdf", "photo.pdf"]
    download = api.get(f"{url}/{listed[0]['id']}")
    assert download.content == PDF
    assert api.get(url, token=api.other_token).status_code == 404


def test_the_evidence_upload_refuses_every_form_its_document_does_not_allow(api):
    """What the OpenAPI document's multipart schema forbids is refused, each naming the field
    (the long Schemathesis run takes this from here for this one operation: schemathesis.toml)."""
    person = register(api).json()
    url = f"/api/v1/claims/{file_export(api, person['id']).json()['id']}/evidence"

    def code_of(parts: list[Part]):  # type: ignore[no-untyped-def]
        body, content_type = form(parts)
        r = api.post(url, content=body, headers=content_type)
        found = r.json()
        return r.status_code, found["code"], [e["field"] for e in found.get("errors") or []]

    file: Part = ("file", "证明.pdf", PDF, None)
    assert code_of([("kind", None, b"other", None)]) == (422, "validation.required", ["file"])  # required
    assert code_of([file, ("note", None, b"x", None)]) == (422, "validation.unknown_field", ["note"])
    # A file sent as a plain field (no file name): the form cannot be read as text.
    assert code_of([("file", None, PDF, None)]) == (400, "validation.form_encoding", ["body"])
    assert code_of([file, ("kind", None, "收入".encode(), None)]) == (
        422,
        "validation.evidence_kind",
        ["kind"],
    )
    no_boundary = api.post(url, content=b"--x--\r\n", headers={"Content-Type": "multipart/form-data"})
    assert no_boundary.status_code == 400, no_boundary.text
    # Exactly the document's form: one file, any of the kinds, is kept.
    assert api.post(url, files={"file": ("证明.pdf", PDF)}, data={"kind": "other"}).status_code == 201
    assert api.post(url, files={"file": ("file.png", PNG, "image/png")}).status_code == 201


def test_idempotent_replay_returns_the_first_response_without_a_second_claim(api):
    person = register(api).json()
    headers = {"Idempotency-Key": "list-2026-11-28-001"}
    body = {
        "subsidy_type": "labour_export_service",
        "person_id": person["id"],
        "facts": {"destination": "out_of_province", "employment_start": "2026-03-01"},
    }
    first = api.post("/api/v1/claims", json=body, headers=headers)
    second = api.post("/api/v1/claims", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert len(api.get("/api/v1/claims").json()["items"]) == 1
    other_body = {**body, "facts": {**body["facts"], "destination": "in_province"}}
    reused = api.post("/api/v1/claims", json=other_body, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency.key_reused"


def test_idempotent_replay_of_a_refusal_is_the_same_refusal(api):
    person = register(api).json()
    headers = {"Idempotency-Key": "k-refused"}
    body = {
        "subsidy_type": "labour_export_service",
        "person_id": person["id"],
        "facts": {"destination": "in_county", "employment_start": "2026-03-01"},
    }
    first = api.post("/api/v1/claims", json=body, headers=headers)
    again = api.post("/api/v1/claims", json=body, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.headers["content-type"].startswith("application/problem+json")
    assert first.json() == again.json()


def test_listing_filters_and_pages_with_a_cursor(api):
    ids = []
    for _ in range(5):
        person = register(api).json()
        ids.append(file_export(api, person["id"]).json()["id"])
    page = api.get("/api/v1/claims", params={"limit": 2}).json()
    assert [c["id"] for c in page["items"]] == ids[::-1][:2]
    seen = [c["id"] for c in page["items"]]
    while page["next_cursor"]:
        page = api.get("/api/v1/claims", params={"limit": 2, "cursor": page["next_cursor"]}).json()
        seen += [c["id"] for c in page["items"]]
    assert seen == ids[::-1]
    assert api.get("/api/v1/claims", params={"state": "withdrawn"}).json()["items"] == []
    assert (
        len(
            api.get("/api/v1/claims", params={"subsidy_type": "labour_export_service", "year": 2026}).json()[
                "items"
            ]
        )
        == 5
    )
    bad = api.get("/api/v1/claims", params={"cursor": "!!!"})
    assert bad.status_code in (400, 422)
    assert bad.json()["code"].startswith("validation.")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"subsidy_type": 5},
        {"subsidy_type": "labour_export_service", "person_id": "x"},
        {"subsidy_type": "nope", "person_id": 1},
        {"subsidy_type": "labour_export_service", "person_id": 999999},
        {"subsidy_type": "labour_export_service", "person_id": 1, "facts": {"fare": "1e999"}},
        {"subsidy_type": "labour_export_service", "person_id": 1, "facts": {"surprise": 1}},
    ],
)
def test_malformed_claims_get_problems_not_500s(api, body):
    register(api)
    r = api.post("/api/v1/claims", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["code"]


def test_an_agent_downloads_the_approval_form_of_its_own_claim(api):
    import subprocess

    person = register(api).json()
    claim = file_export(api, person["id"]).json()
    r = api.get(f"/api/v1/claims/{claim['id']}/documents/approval_form")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True
    ).stdout.decode()
    assert "审批表" in text and "300.00" in text
    assert (
        api.get(f"/api/v1/claims/{claim['id']}/documents/approval_form", token=api.other_token).status_code
        == 404
    )
    refused = api.get(f"/api/v1/claims/{claim['id']}/documents/rejection_notice")
    assert refused.status_code == 422
    assert api.get(f"/api/v1/claims/{claim['id']}/documents/nonsense").status_code in (400, 404)
