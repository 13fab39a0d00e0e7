"""The agent API end to end against a real server: uvicorn in a subprocess, httpx over TCP.

One server for the module, on a freshly migrated database (a temporary SQLite file, or the
configured PostgreSQL, emptied again afterwards like conftest does), seeded through the
services. The tests drive what an agent does: register, file, read, withdraw, file again,
correct a returned claim, attach evidence and fetch it back, replay a POST with an
Idempotency-Key, upload bulk lists; and check that another organisation sees nothing, that a
missing token is a problem+json 401, and that no full ID number or bank account ever leaves
the server, in a response body or in its log.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from cli import upgrade
from store.access.users import create_token
from store.db import Database
from store.models import User
from store.transitions import transition
from web.app import create_app

from .builders import County, county, id_number
from .conftest import TEST_SECRET, empty_postgres, is_postgres
from .multipart import form

ROOT = Path(__file__).resolve().parents[1]
VILLAGE = "533422101001"
YEAR = 2026
EXPORT = {"destination": "out_of_province", "employment_start": "2026-03-01"}
PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PROBLEM = "application/problem+json"

# Every full ID number and bank account sent to the server: none may come back or be logged.
SENSITIVE: set[str] = set()


def _openapi_paths() -> set[str]:
    app = create_app(Database.connect("sqlite://", TEST_SECRET), files=Path("/nonexistent"))
    return set(app.openapi_schema.paths or {})


LISTS_AVAILABLE = {"/api/v1/lists", "/api/v1/lists/json", "/api/v1/lists/template.xlsx"} <= {
    p.rstrip("/") for p in _openapi_paths()
}


# ---------------------------------------------------------------- the server


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path
    db: Database
    county: County
    token: str
    other_token: str
    bodies: list[bytes] = field(default_factory=list)

    def client(self, token: str | None = None) -> httpx.Client:
        """A client that keeps every response body it receives, for the PII check."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        def keep(response: httpx.Response) -> None:
            response.read()
            self.bodies.append(response.content)

        return httpx.Client(base_url=self.url, headers=headers, timeout=30, event_hooks={"response": [keep]})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_db_url(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for the server: a new SQLite file, or the configured
    PostgreSQL (conftest's migrated one, emptied again afterwards)."""
    if not is_postgres():
        url = f"sqlite:///{tmp_path_factory.mktemp('server') / 'fuzhi.db'}"
        upgrade(url)
        yield url
        return
    yield template_db
    empty_postgres(template_db)


@pytest.fixture(scope="module")
def server(server_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    secret = secrets.token_urlsafe(48)
    db = Database.connect(server_db_url, secret.encode())
    c = county(db)
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, c.agent.user_id), label="e2e")
        other = create_token(s, db, s.get(User, c.other_agent.user_id), label="e2e")
    data_dir = tmp_path_factory.mktemp("data")
    log_path = data_dir / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": server_db_url,
        "FUZHI_SECRET_KEY": secret,
        "FUZHI_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FUZHI_ALLOWED_HOSTS", None)  # the defaults must let 127.0.0.1:<port> in
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    srv = Server(f"http://127.0.0.1:{port}", process, log_path, data_dir, db, c, token, other)
    try:
        wait_until_healthy(srv)
        yield srv
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        db.engine.dispose()


def wait_until_healthy(srv: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.process.poll() is not None:
            pytest.fail(f"the server exited with {srv.process.returncode}:\n{srv.log()}")
        try:
            if httpx.get(f"{srv.url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the server did not answer /health within {timeout}s:\n{srv.log()}")


@pytest.fixture
def agent(server: Server) -> Iterator[httpx.Client]:
    with server.client(server.token) as client:
        yield client


# ---------------------------------------------------------------- helpers


def sensitive_id() -> str:
    number = id_number()
    SENSITIVE.add(number)
    return number


def sensitive_account() -> str:
    account = "6217" + "".join(secrets.choice("0123456789") for _ in range(15))
    SENSITIVE.add(account)
    return account


def register(client: httpx.Client, name: str = "卓玛", number: str | None = None) -> dict[str, Any]:
    r = client.post(
        "/api/v1/persons",
        json={
            "name": name,
            "id_number": number or sensitive_id(),
            "village_code": VILLAGE,
            "target_groups": ["poverty_alleviated"],
            "bank_account": sensitive_account(),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def file_claim(
    client: httpx.Client, person_id: int, headers: dict[str, str] | None = None, **facts: Any
) -> httpx.Response:
    return client.post(
        "/api/v1/claims",
        headers=headers,
        json={
            "subsidy_type": "labour_export_service",
            "person_id": person_id,
            "policy_year": YEAR,
            "facts": {**EXPORT, **facts},
        },
    )


def my_claims(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(
            "/api/v1/claims", params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    return body


# ---------------------------------------------------------------- single claims


def test_the_server_serves_health_and_the_documents(server: Server) -> None:
    with server.client() as anonymous:
        health = anonymous.get("/health").json()
        assert health["status"] == "ok"
        assert health["database"] == ("postgresql" if is_postgres() else "sqlite")
        document = anonymous.get("/schema/openapi.json").json()
        assert "/api/v1/claims" in document["paths"]
        assert anonymous.get("/schema").status_code == 200


def test_register_file_read_withdraw_and_file_again(agent: httpx.Client) -> None:
    number = sensitive_id()
    person = register(agent, "扎西", number)
    assert person["created"] is True
    assert person["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert person["bank_account_masked"].startswith("****")

    r = file_claim(agent, person["id"])
    assert r.status_code == 201, r.text
    claim = r.json()
    assert (claim["state"], claim["amount"], claim["policy_year"]) == ("submitted", "300.00", YEAR)
    assert claim["rule"] == "labour_export_service.out_of_province"
    assert claim["due_at"] and claim["due_at"].endswith("+08:00")
    assert [h["trigger"] for h in claim["history"]] == ["submit"]

    read = agent.get(f"/api/v1/claims/{claim['id']}")
    assert read.status_code == 200
    assert read.json() == claim

    withdrawn = agent.post(
        f"/api/v1/claims/{claim['id']}/withdraw", json={"comment": "本人放弃", "version": claim["version"]}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    assert [h["trigger"] for h in withdrawn.json()["history"]] == ["submit", "withdraw"]
    again = agent.post(f"/api/v1/claims/{claim['id']}/withdraw", json={})
    assert again.status_code == 409, again.text

    second = file_claim(agent, person["id"])
    assert second.status_code == 201, second.text
    assert second.json()["id"] != claim["id"] and second.json()["state"] == "submitted"
    states = {c["id"]: c["state"] for c in my_claims(agent)}
    assert states[claim["id"]] == "withdrawn" and states[second.json()["id"]] == "submitted"
    assert [c["id"] for c in my_claims(agent, state="withdrawn")] == [claim["id"]]


def test_a_returned_claim_is_resubmitted_with_corrected_facts(server: Server, agent: httpx.Client) -> None:
    person = register(agent, "格桑")
    claim = file_claim(agent, person["id"]).json()
    # The village verifier sends it back (through the services: the web inbox is not the API).
    transition(
        server.db,
        "claim",
        claim["id"],
        "return",
        server.county.verifier,
        comment="务工地点有误，应为县外省内",
    )
    returned = agent.get(f"/api/v1/claims/{claim['id']}").json()
    assert returned["state"] == "returned"
    assert returned["history"][-1]["comment"] == "务工地点有误，应为县外省内"

    r = agent.post(
        f"/api/v1/claims/{claim['id']}/resubmit",
        json={"facts": {**EXPORT, "destination": "in_province"}, "version": returned["version"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["state"], body["amount"]) == ("submitted", "200.00")
    assert body["facts"]["destination"] == "in_province"
    assert [h["trigger"] for h in body["history"]] == ["submit", "return", "resubmit"]
    assert agent.post(f"/api/v1/claims/{claim['id']}/resubmit", json={}).status_code == 409


def test_evidence_is_uploaded_and_downloaded_back_with_the_same_checksum(
    server: Server, agent: httpx.Client
) -> None:
    person = register(agent)
    claim = file_claim(agent, person["id"]).json()
    url = f"/api/v1/claims/{claim['id']}/evidence"
    r = agent.post(
        url,
        files={"file": ("务工收入证明.pdf", PDF, "application/octet-stream")},
        data={"kind": "income_proof"},
    )
    assert r.status_code == 201, r.text
    evidence = r.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert (evidence["sha256"], evidence["size"]) == (digest, len(PDF))
    assert (evidence["content_type"], evidence["kind"]) == ("application/pdf", "income_proof")
    assert evidence["filename"] == "务工收入证明.pdf"
    # Kept outside the database, under its checksum, in the data directory.
    assert (server.data_dir / "files" / digest[:2] / digest).read_bytes() == PDF

    assert [e["id"] for e in agent.get(url).json()] == [evidence["id"]]
    assert agent.get(f"/api/v1/claims/{claim['id']}").json()["evidence_count"] == 1
    download = agent.get(f"{url}/{evidence['id']}")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == digest
    assert download.headers["x-content-sha256"] == digest
    assert download.headers["content-type"].startswith("application/pdf")
    assert "attachment" in download.headers["content-disposition"]

    fake = agent.post(url, files={"file": ("proof.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert_problem(fake, 422, "validation.evidence_type")


def test_idempotent_replay_gives_the_first_response_and_no_second_claim(agent: httpx.Client) -> None:
    person = register(agent)
    key = {"Idempotency-Key": f"e2e-{secrets.token_hex(8)}"}
    first = file_claim(agent, person["id"], headers=key)
    second = file_claim(agent, person["id"], headers=key)
    assert first.status_code == second.status_code == 201, first.text
    assert second.content == first.content
    assert second.headers.get("idempotent-replayed") == "true"
    assert [c["id"] for c in my_claims(agent) if c["person_id"] == person["id"]] == [first.json()["id"]]

    other_body = file_claim(agent, person["id"], headers=key, destination="in_province")
    body = assert_problem(other_body, 422, "idempotency.key_reused")
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert len([c for c in my_claims(agent) if c["person_id"] == person["id"]]) == 1

    # A registration replayed is the same person, not a second one.
    number, account = sensitive_id(), sensitive_account()
    payload = {
        "name": "次仁",
        "id_number": number,
        "village_code": VILLAGE,
        "target_groups": ["relocated"],
        "bank_account": account,
    }
    reg_key = {"Idempotency-Key": f"e2e-person-{secrets.token_hex(8)}"}
    a = agent.post("/api/v1/persons", json=payload, headers=reg_key)
    b = agent.post("/api/v1/persons", json=payload, headers=reg_key)
    assert a.status_code == b.status_code == 201 and a.json() == b.json()


def test_another_organisations_token_finds_nothing(server: Server, agent: httpx.Client) -> None:
    person = register(agent)
    claim = file_claim(agent, person["id"]).json()
    evidence = agent.post(
        f"/api/v1/claims/{claim['id']}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")}
    ).json()
    base = f"/api/v1/claims/{claim['id']}"
    with server.client(server.other_token) as other:
        assert_problem(other.get(base), 404, "not_found.claim")
        assert_problem(other.post(f"{base}/withdraw", json={}), 404, "not_found.claim")
        assert_problem(other.get(f"{base}/evidence"), 404, "not_found.claim")
        assert_problem(other.get(f"{base}/evidence/{evidence['id']}"), 404, "not_found.claim")
        assert other.post(f"{base}/evidence", files={"file": ("b.pdf", PDF)}).status_code == 404
        assert other.get(f"/api/v1/persons/{person['id']}").status_code == 404
        assert claim["id"] not in {c["id"] for c in my_claims(other)}
    # The same 404 as for a claim that does not exist at all.
    assert_problem(agent.get("/api/v1/claims/2147483000"), 404, "not_found.claim")
    assert agent.get(base).json()["state"] == "submitted"


def test_no_token_or_a_wrong_one_is_a_401_problem(server: Server) -> None:
    with server.client() as anonymous:
        r = anonymous.get("/api/v1/claims")
        assert_problem(r, 401, "auth.required")
        assert r.headers["www-authenticate"] == "Bearer"
        assert_problem(anonymous.post("/api/v1/claims", json={}), 401, "auth.required")
    with server.client("fz_not-a-real-token") as wrong:
        assert_problem(wrong.get("/api/v1/claims/1"), 401, "auth.required")


def test_nul_characters_are_refused_not_a_500(agent: httpx.Client) -> None:
    """PostgreSQL cannot hold U+0000 in text: without the API's guard each of these was a 500."""
    person = register(agent)
    claim = file_claim(agent, person["id"]).json()
    for r in (
        agent.post(
            "/api/v1/persons",
            json={"name": "卓\u0000玛", "id_number": sensitive_id(), "village_code": VILLAGE},
        ),
        agent.post(
            "/api/v1/persons",
            json={"name": "卓玛", "id_number": sensitive_id(), "village_code": "5334\u0000"},
        ),
        agent.post(f"/api/v1/claims/{claim['id']}/withdraw", json={"comment": "a\u0000b"}),
        agent.post(
            "/api/v1/claims",
            json={
                "subsidy_type": "training_allowance",
                "person_id": person["id"],
                "facts": {"course_id": "C\u00001", "course_days": 3, "course_completed": True},
            },
        ),
        agent.get("/api/v1/claims", params={"batch": "a\u0000"}),
    ):
        assert_problem(r, 400, "validation.request")
    # A file name keeps its printable characters only.
    body, content_type = form([("file", "a\x00b.pdf", PDF, "application/pdf")])
    r = agent.post(f"/api/v1/claims/{claim['id']}/evidence", content=body, headers=content_type)
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "ab.pdf"
    assert agent.get(f"/api/v1/claims/{claim['id']}").json()["state"] == "submitted"


# ---------------------------------------------------------------- bulk lists

LES = "有组织劳务输出就业创业服务补助"
LIST_HEADER = [
    "姓名",
    "身份证号",
    "行政村代码",
    "帮扶对象类别",
    "银行账号",
    "补贴类型",
    "务工地点",
    "就业开始日期",
]


def bad_checksum(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def list_rows() -> tuple[list[list[Any]], dict[int, tuple[str, str]]]:
    """Good rows and a few bad ones; the expected (column, code) of each bad row by its row
    number in the file (the header is row 1)."""
    a, b, c, d = (sensitive_id() for _ in range(4))
    rows = [
        ["扎西", a, VILLAGE, "脱贫人口", sensitive_account(), LES, "省外", "2026-03-01"],  # 2
        ["卓玛", bad_checksum(b), VILLAGE, "脱贫人口", sensitive_account(), LES, "省外", "2026-03-01"],  # 3
        ["次仁", c, VILLAGE, "脱贫人口", sensitive_account(), "无此补贴", "省外", "2026-03-01"],  # 4
        ["格桑", d, VILLAGE, "易地搬迁人口", sensitive_account(), LES, "县内", "2026-03-01"],  # 5
        ["扎西", a, VILLAGE, "脱贫人口", sensitive_account(), LES, "省外", "2026-03-01"],  # 6
        [
            "拉姆",
            sensitive_id(),
            VILLAGE,
            "农村低收入人口",
            sensitive_account(),
            LES,
            "县外省内",
            "2026-03-01",
        ],  # 7
    ]
    SENSITIVE.add(bad_checksum(b))
    bad = {
        3: ("身份证号", "validation.id_number_checksum"),
        4: ("补贴类型", "validation.subsidy_type"),
        5: ("务工地点", "rule.no_subsidy_in_county"),
        6: ("身份证号", "rule.duplicate"),
    }
    return rows, bad


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报清单"
    ws.append(LIST_HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def gbk_csv_bytes(rows: list[list[Any]]) -> bytes:
    lines = [",".join(LIST_HEADER)] + [",".join(str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def check_outcome(
    outcome: dict[str, Any],
    rows: list[list[Any]],
    bad: dict[int, tuple[str, str]],
    accepted: str = "accepted",
) -> dict[int, dict[str, Any]]:
    """Every row is in the answer once, with the expected status, column and code."""
    by_row = {r["row"]: r for r in outcome["rows"]}
    assert sorted(by_row) == list(range(2, len(rows) + 2))
    assert outcome["rows_total"] == len(rows)
    assert outcome["rows_refused"] == len(bad)
    assert outcome["rows_accepted"] + outcome["rows_refused"] == len(rows)
    for number, row in by_row.items():
        if number in bad:
            assert row["status"] == "refused", row
            assert (bad[number][0], bad[number][1]) in {(e["column"], e["code"]) for e in row["errors"]}
            assert all(e["detail"] for e in row["errors"])
        else:
            assert row["status"] == accepted and not row["errors"], row
    return by_row


def check_result_workbook(content: bytes, rows: list[list[Any]], bad: dict[int, tuple[str, str]]) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    sheet = wb["处理结果"] if "处理结果" in wb.sheetnames else wb.worksheets[0]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = table[0]
    data = [r + [None] * (len(header) - len(r)) for r in table[1:] if any(v is not None for v in r)]
    status, code = header.index("处理结果"), header.index("错误代码")
    assert sorted(int(r[0]) for r in data) == list(range(2, len(rows) + 2))
    for r in data:
        if int(r[0]) in bad:
            assert r[status] == "未受理" and bad[int(r[0])][1] in str(r[code]), r
        else:
            assert r[status] in ("已受理", "校验通过（仅校验，未提交）") and not r[code], r
    cells = " ".join(str(v) for r in table for v in r if v is not None)
    assert not any(s in cells for s in SENSITIVE), "a full ID number or bank account in the result"


lists_pending = pytest.mark.skipif(
    not LISTS_AVAILABLE, reason="the /api/v1/lists endpoints are not in the OpenAPI document yet"
)


@lists_pending
def test_the_list_template_has_the_chinese_headers(agent: httpx.Client) -> None:
    from workflow.lists.columns import COLUMNS

    r = agent.get("/api/v1/lists/template.xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    header = next(wb["申报清单"].iter_rows(max_row=1, values_only=True))
    assert [h for h in header if h] == [c.header for c in COLUMNS]


@lists_pending
def test_bulk_lists_xlsx_and_gbk_csv_account_for_every_row(agent: httpx.Client) -> None:
    before = len(my_claims(agent))
    for name, build, mime in (
        ("申报清单.xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("申报清单.csv", gbk_csv_bytes, "text/csv"),
    ):
        rows, bad = list_rows()
        content = build(rows)

        dry = agent.post("/api/v1/lists", files={"file": (name, content, mime)}, data={"dry_run": "true"})
        assert dry.status_code in (200, 201), dry.text
        assert dry.json()["dry_run"] is True
        check_outcome(dry.json(), rows, bad, accepted="valid")
        assert len(my_claims(agent)) == before

        r = agent.post("/api/v1/lists", files={"file": (name, content, mime)}, data={"dry_run": "false"})
        assert r.status_code in (200, 201), r.text
        outcome = r.json()
        by_row = check_outcome(outcome, rows, bad)
        filed = {row["claim_id"] for row in by_row.values() if row["status"] == "accepted"}
        assert None not in filed and len(filed) == len(rows) - len(bad)
        assert by_row[2]["amount"] == "300.00" and by_row[7]["amount"] == "200.00"
        before += len(filed)
        mine = {c["id"]: c for c in my_claims(agent)}
        assert len(mine) == before and filed <= set(mine)

        stored = agent.get(f"/api/v1/lists/{outcome['id']}")
        assert stored.status_code == 200, stored.text
        assert sorted(r["row"] for r in stored.json()["rows"]) == sorted(by_row)
        result = agent.get(outcome.get("result_url") or f"/api/v1/lists/{outcome['id']}/result.xlsx")
        assert result.status_code == 200, result.text
        check_result_workbook(result.content, rows, bad)

        # The same list again files nothing new: every good row is now a duplicate.
        again = agent.post("/api/v1/lists", files={"file": (name, content, mime)}, data={"dry_run": "false"})
        assert again.status_code in (200, 201), again.text
        assert again.json()["rows_accepted"] == 0
        assert again.json()["rows_total"] == len(rows)
        assert len(my_claims(agent)) == before


@lists_pending
def test_a_json_list_is_checked_like_a_file(agent: httpx.Client) -> None:
    rows, bad = list_rows()
    payload = [dict(zip(LIST_HEADER, row, strict=True)) for row in rows]
    r = agent.post("/api/v1/lists/json", json={"rows": payload, "dry_run": False})
    assert r.status_code in (200, 201), r.text
    outcome = r.json()
    # JSON rows count from 1.
    by_row = {row["row"]: row for row in outcome["rows"]}
    assert sorted(by_row) == list(range(1, len(rows) + 1))
    assert {n + 1 for n, row in by_row.items() if row["status"] == "refused"} == set(bad)
    assert outcome["rows_accepted"] == len(rows) - len(bad)


@lists_pending
def test_list_cells_with_control_characters_are_not_a_500(agent: httpx.Client) -> None:
    """U+0000 was a 500 on PostgreSQL at upload, any control character a 500 in the result
    workbook, a lone surrogate a 500 everywhere."""

    def row(name: str) -> str:
        return ",".join(
            [name, sensitive_id(), VILLAGE, "脱贫人口", sensitive_account(), LES, "省外", "2026-03-01"]
        )

    header = ",".join(LIST_HEADER)
    surrogate = {
        "name": "\ud800",
        "id_number": sensitive_id(),
        "village_code": VILLAGE,
        "target_groups": "脱贫人口",
        "subsidy_type": "labour_export_service",
        "destination": "省外",
        "employment_start": "2026-03-01",
    }
    uploads = {
        "nul.csv": "\r\n".join([header, row("扎\x00西")]).encode("utf-16"),
        "control.csv": "\r\n".join([header, row("扎\x01西")]).encode("utf-8"),
        "surrogate.json": json.dumps({"rows": [surrogate]}).encode(),
    }
    failures = []
    for name, content in uploads.items():
        r = agent.post("/api/v1/lists", files={"file": (name, content)}, data={"dry_run": "false"})
        if r.status_code >= 500:
            failures.append(f"{name}: upload {r.status_code}")
        elif r.status_code == 201:
            result = agent.get(r.json()["result_url"])
            if result.status_code >= 500:
                failures.append(f"{name}: result.xlsx {result.status_code}")
    assert not failures


# ---------------------------------------------------------------- personal data


def test_no_full_id_number_or_bank_account_leaves_the_server(server: Server, agent: httpx.Client) -> None:
    """Checked over every response this module received and the server's whole log; this
    test adds the requests most likely to echo a number: a lookup and refused registrations."""
    number = sensitive_id()
    register(agent, "白玛", number)
    assert agent.post("/api/v1/persons/lookup", json={"id_number": number}).status_code == 200
    refused = agent.post(
        "/api/v1/persons",
        json={
            "name": "白玛",
            "id_number": bad_checksum(number),
            "village_code": VILLAGE,
            "bank_account": sensitive_account(),
        },
    )
    SENSITIVE.add(bad_checksum(number))
    assert_problem(refused, 422, "validation.id_number_checksum")
    mismatch = agent.post(
        "/api/v1/persons", json={"name": "别人", "id_number": number, "village_code": VILLAGE}
    )
    assert_problem(mismatch, 422, "validation.name_mismatch")
    unknown = agent.post("/api/v1/persons/lookup", json={"id_number": sensitive_id()})
    assert_problem(unknown, 404, "not_found.person")
    # A person of another organisation, named by resident ID: linked, then claimed for.
    theirs = sensitive_id()
    with server.client(server.other_token) as other:
        register(other, "次仁", theirs)
    linked = agent.post(
        "/api/v1/persons", json={"name": "次仁", "id_number": theirs, "village_code": VILLAGE}
    )
    assert linked.status_code == 200, linked.text
    by_number = agent.post(
        "/api/v1/claims",
        json={
            "subsidy_type": "labour_export_service",
            "id_number": theirs,
            "policy_year": YEAR,
            "facts": EXPORT,
        },
    )
    assert by_number.status_code == 201, by_number.text

    assert len(SENSITIVE) > 5 and len(server.bodies) > 20
    for body in server.bodies:
        text_body = body.decode("utf-8", errors="replace")
        leaked = [s for s in SENSITIVE if s in text_body]
        assert not leaked, f"a response carried {leaked}: {text_body[:300]}"
    log = server.log()
    assert "Uvicorn running" in log or "Application startup complete" in log
    assert "POST /api/v1/persons" in log  # the access log is there, and it is what we search
    leaked = [s for s in SENSITIVE if s in log]
    assert not leaked, f"the server log carried {leaked}"
