"""Idempotency-Key leases: a key left in progress by a process that died is taken over after its
lease and answered with the true outcome; nothing is filed twice."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import threading
import time
from datetime import datetime, timedelta

import httpx
import msgspec
import pytest
from sqlalchemy import func, select

from store.access.users import create_token
from store.idempotency import keys
from store.idempotency.forms import ABANDONED_AFTER
from store.models import Claim, IdempotencyRecord, User
from store.transitions import transition
from web.api.deps import fingerprint
from web.api.schemas import ClaimIn
from workflow.clock import FrozenClock
from workflow.errors import Conflict

from .api_support import api_client
from .builders import county, id_number
from .live_server import live_server

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

LISTS = "/api/v1/lists/json"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path / "files") as client:
        yield client


def list_rows(n=3):
    return [
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
        for _ in range(n)
    ]


def claims(db):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Claim))


def key_row(db, key):
    with db.transaction() as s:
        row = s.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
        s.expunge_all()
        return row


def died_holding(db, api, key, rows):
    """The key row a process leaves when it is killed after taking the key, before any commit."""
    body = msgspec.json.encode({"rows": rows}) + b"real"
    with db.transaction() as s:
        s.add(
            IdempotencyRecord(
                org_id=api.county.agent.org_id,
                key=key,
                request_hash=db.vault.digest(fingerprint("POST", LISTS, body)),
                status=keys.IN_PROGRESS,
                body="",
                content_type="",
                created_at=db.clock.now(),
            )
        )


def post_list(api, key, rows):
    return api.post(LISTS, json={"rows": rows}, headers={"Idempotency-Key": key})


def test_the_forms_tokens_and_the_api_keys_are_taken_over_after_the_same_lease():
    assert ABANDONED_AFTER == keys.LEASE == timedelta(minutes=2)


def test_within_its_lease_a_retry_is_told_to_wait_and_after_it_files_the_list_once(api, db, clock):
    rows = list_rows()
    died_holding(db, api, "crash-before-commit", rows)
    early = post_list(api, "crash-before-commit", rows)
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "idempotency.in_progress"
    assert early.headers["retry-after"] == "120"
    clock.current += timedelta(seconds=90)
    assert post_list(api, "crash-before-commit", rows).headers["retry-after"] == "30"
    assert claims(db) == 0
    clock.current += timedelta(seconds=31)
    retried = post_list(api, "crash-before-commit", rows)
    assert retried.status_code == 201, retried.text
    assert retried.json()["rows_accepted"] == 3
    assert claims(db) == 3
    again = post_list(api, "crash-before-commit", rows)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == retried.json()
    assert claims(db) == 3


def test_a_list_that_committed_before_the_crash_is_answered_and_not_filed_again(api, db, clock, monkeypatch):
    rows = list_rows(4)

    def killed(*args, **kwargs):
        raise RuntimeError("killed between the list's commit and the key's completion")

    monkeypatch.setattr(keys, "_keep", killed)
    assert post_list(api, "crash-after-commit", rows).status_code == 500
    monkeypatch.undo()
    assert claims(db) == 4
    row = key_row(db, "crash-after-commit")
    assert row.status == keys.IN_PROGRESS and row.content_type == keys.EFFECT
    list_id = json.loads(row.body)["list_id"]
    stored = api.get(f"/api/v1/lists/{list_id}").json()
    # The effect committed: even within the lease the retry gets the list, not a wait.
    early = post_list(api, "crash-after-commit", rows)
    assert early.status_code == 201, early.text
    assert early.headers["idempotent-replayed"] == "true"
    assert early.json()["id"] == list_id and early.json()["rows"] == stored["rows"]
    assert early.json()["rows_accepted"] == 4
    clock.current += keys.LEASE + timedelta(seconds=1)
    late = post_list(api, "crash-after-commit", rows)
    assert late.status_code == 201 and late.json() == early.json()
    assert claims(db) == 4
    kept = key_row(db, "crash-after-commit")
    assert kept.status == 201 and kept.content_type == "application/json"


def test_a_slow_first_attempt_overtaken_after_its_lease_cannot_commit_its_list(api, db, clock):
    rows = list_rows(2)
    died_holding(db, api, "slow-first", rows)
    first = keys.Lease(api.county.agent.org_id, "slow-first", db.clock.now())
    clock.current += keys.LEASE + timedelta(seconds=1)
    retried = post_list(api, "slow-first", rows)
    assert retried.status_code == 201 and claims(db) == 2
    with pytest.raises(Conflict) as refused, db.transaction() as s:
        first.note_effect(s, {"list_id": 999})
    assert refused.value.code == "idempotency.lease_lost"


def killed_after_commit(monkeypatch):
    """The process dies between the effect's commit and the key's completion."""

    def killed(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(keys, "_keep", killed)


def register(api):
    return api.post(
        "/api/v1/persons",
        json={
            "name": "卓玛",
            "id_number": id_number(),
            "village_code": "533422101001",
            "target_groups": ["poverty_alleviated"],
            "bank_account": "6217000000000000123",
        },
    ).json()


def claim_body(person):
    return {
        "subsidy_type": "labour_export_service",
        "person_id": person["id"],
        "facts": {"destination": "out_of_province", "employment_start": "2026-03-01"},
    }


def test_a_claim_key_left_by_a_dead_process_is_filed_once_after_the_lease(api, db, clock):
    body = claim_body(register(api))
    with db.transaction() as s:
        s.add(
            IdempotencyRecord(
                org_id=api.county.agent.org_id,
                key="claim-crash",
                request_hash=db.vault.digest(
                    fingerprint("POST", "/api/v1/claims", msgspec.json.encode(msgspec.convert(body, ClaimIn)))
                ),
                status=keys.IN_PROGRESS,
                body="",
                content_type="",
                created_at=db.clock.now(),
            )
        )
    headers = {"Idempotency-Key": "claim-crash"}
    assert api.post("/api/v1/claims", json=body, headers=headers).status_code == 409
    clock.current += keys.LEASE
    filed = api.post("/api/v1/claims", json=body, headers=headers)
    assert filed.status_code == 201, filed.text
    again = api.post("/api/v1/claims", json=body, headers=headers)
    assert again.json() == filed.json() and again.headers["idempotent-replayed"] == "true"
    assert claims(db) == 1


def test_a_claim_that_committed_before_the_crash_is_answered_not_filed_again(api, db, clock, monkeypatch):
    body = claim_body(register(api))
    headers = {"Idempotency-Key": "claim-committed"}
    killed_after_commit(monkeypatch)
    assert api.post("/api/v1/claims", json=body, headers=headers).status_code == 500
    monkeypatch.undo()
    assert claims(db) == 1
    clock.current += keys.LEASE + timedelta(seconds=1)
    retried = api.post("/api/v1/claims", json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    claim_id = json.loads(key_row(db, "claim-committed").body)["id"]
    assert retried.json()["id"] == claim_id
    assert retried.json() == api.get(f"/api/v1/claims/{claim_id}").json()
    assert claims(db) == 1


def test_evidence_that_committed_before_the_crash_is_answered_not_kept_twice(api, db, clock, monkeypatch):
    claim_id = api.post("/api/v1/claims", json=claim_body(register(api))).json()["id"]
    url = f"/api/v1/claims/{claim_id}/evidence"
    upload = {"files": {"file": ("证明.pdf", PDF, "application/pdf")}, "data": {"kind": "other"}}
    headers = {"Idempotency-Key": "evidence-committed"}
    killed_after_commit(monkeypatch)
    assert api.post(url, headers=headers, **upload).status_code == 500
    monkeypatch.undo()
    clock.current += keys.LEASE
    retried = api.post(url, headers=headers, **upload)
    assert retried.status_code == 201, retried.text
    assert [e["id"] for e in api.get(url).json()] == [retried.json()["id"]]


def test_a_withdrawal_that_committed_before_the_crash_is_answered_not_refused(api, db, clock, monkeypatch):
    claim = api.post("/api/v1/claims", json=claim_body(register(api))).json()
    url, headers = f"/api/v1/claims/{claim['id']}/withdraw", {"Idempotency-Key": "withdraw-committed"}
    killed_after_commit(monkeypatch)
    assert api.post(url, json={"comment": "本人已返乡"}, headers=headers).status_code == 500
    monkeypatch.undo()
    clock.current += keys.LEASE + timedelta(seconds=1)
    retried = api.post(url, json={"comment": "本人已返乡"}, headers=headers)
    assert retried.status_code == 200, retried.text  # not "already withdrawn": the true outcome
    assert retried.json()["state"] == "withdrawn"
    assert [h["trigger"] for h in retried.json()["history"]] == ["submit", "withdraw"]


def test_a_resubmission_that_committed_before_the_crash_is_answered_once(api, db, clock, monkeypatch):
    claim = api.post("/api/v1/claims", json=claim_body(register(api))).json()
    transition(db, "claim", claim["id"], "return", api.county.verifier, comment="请补充材料")
    url, headers = f"/api/v1/claims/{claim['id']}/resubmit", {"Idempotency-Key": "resubmit-committed"}
    body = {"facts": {"destination": "in_province", "employment_start": "2026-03-01"}}
    killed_after_commit(monkeypatch)
    assert api.post(url, json=body, headers=headers).status_code == 500
    monkeypatch.undo()
    clock.current += keys.LEASE + timedelta(seconds=1)
    retried = api.post(url, json=body, headers=headers)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["state"], retried.json()["amount"]) == ("submitted", "200.00")
    assert [h["trigger"] for h in retried.json()["history"]] == ["submit", "return", "resubmit"]


def test_a_registration_that_committed_before_the_crash_is_answered_as_created(api, db, clock, monkeypatch):
    body = {
        "name": "卓玛",
        "id_number": id_number(),
        "village_code": "533422101001",
        "target_groups": ["poverty_alleviated"],
    }
    headers = {"Idempotency-Key": "person-committed"}
    killed_after_commit(monkeypatch)
    assert api.post("/api/v1/persons", json=body, headers=headers).status_code == 500
    monkeypatch.undo()
    clock.current += keys.LEASE + timedelta(seconds=1)
    retried = api.post("/api/v1/persons", json=body, headers=headers)
    assert retried.status_code == 201, retried.text  # created by the first attempt: said so
    assert json.loads(key_row(db, "person-committed").body)["id"] == retried.json()["id"]


def test_a_server_killed_mid_upload_leaves_a_key_its_retry_answers_once():
    """A real server SIGKILLed at a random point of a list upload once it took the key (before
    or after the list committed, both seen); a second server on the same database, its clock
    past the lease: the retry gets all rows filed, and each only once."""
    tokens = []

    def prepare(live_db):
        c = county(live_db)
        with live_db.transaction() as s:
            tokens.append(create_token(s, live_db, s.get(User, c.agent.user_id)))

    rows = list_rows(1000)
    headers = {"Idempotency-Key": "killed-upload"}
    start = FrozenClock(datetime(2026, 11, 28, 10, 0))
    with live_server(prepare=prepare, clock=start) as first:
        auth = {"Authorization": f"Bearer {tokens[0]}", **headers}
        sent = threading.Thread(target=lambda: _post_ignoring_errors(first.url, auth, rows))
        sent.start()
        deadline = time.monotonic() + 60
        while key_row(first.db, "killed-upload") is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the key is taken: the upload is under way
        time.sleep(random.uniform(0, 0.3))
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        sent.join()
    later = FrozenClock(start.now() + keys.LEASE + timedelta(seconds=1))
    with live_server(clock=later, work=first.work) as second:
        retry = httpx.post(f"{second.url}{LISTS}", json={"rows": rows}, headers=auth, timeout=120)
        assert retry.status_code == 201, retry.text
        assert retry.json()["rows_accepted"] == 1000
        assert claims(second.db) == 1000
        again = httpx.post(f"{second.url}{LISTS}", json={"rows": rows}, headers=auth, timeout=120)
        assert again.json() == retry.json() and claims(second.db) == 1000


def _post_ignoring_errors(url, headers, rows):
    with contextlib.suppress(httpx.HTTPError):  # the server was killed
        httpx.post(f"{url}{LISTS}", json={"rows": rows}, headers=headers, timeout=120)
