"""The audit log records every event kind of issue 14 §6 (who, when, from where, what, the
outcome), driven through the real app and API: sign-ins (success, a wrong password, an unknown
user; never the password), refusals, transitions (each sealing its history row), look-ups by
ID number, exports, document downloads, the bank file (unmasked accounts), payout batches and
their lines, admin changes; the admin's page searches it; the head is printed on the roster and
sent to the admins once a day; concurrent writers never fork the chain."""

from __future__ import annotations

import subprocess
import threading

import pytest
from sqlalchemy import select

from store import audit
from store.audit.models import AuditEntry
from store.documents.contexts import roster_lines
from store.documents.issuing import issue_roster
from store.models import ClaimHistory
from store.notices.models import Notification
from store.payouts import batch_pool
from store.sweep import run_sweep

from .api_support import api_client
from .builders import add_admin, claim_in, id_number
from .builders_payouts import give_broker_an_account
from .page_support import csrf_of, sign_in

pytestmark = pytest.mark.usefixtures("on_28_november_2026")


def entries(db, action=None):
    with db.sessions() as s:
        query = select(AuditEntry).order_by(AuditEntry.seq)
        if action:
            query = query.where(AuditEntry.action.startswith(action))
        return list(s.scalars(query))


def test_every_sign_in_is_recorded_and_never_the_password(db, c):
    browser = sign_in(db, "hr1")
    for name, password in (("hr1", "wrong-password-9"), ("nobody-here", "secret-guess-7")):
        token = csrf_of(browser.client.get("/login").text)
        r = browser.client.post(
            "/login",
            data={"username": name, "password": password, "_csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code != 303
    ok, wrong, unknown = entries(db, "auth.sign_in")
    assert (ok.username, ok.user_id, ok.role, ok.outcome) == ("hr1", c.hr.user_id, "hr", "ok")
    assert ok.client == "testclient"
    assert (wrong.username, wrong.outcome, wrong.detail) == ("hr1", "failed", {"code": "auth.invalid"})
    assert (unknown.username, unknown.user_id, unknown.outcome) == ("nobody-here", None, "failed")
    everything = " ".join(repr(e.__dict__) for e in entries(db))
    assert "wrong-password-9" not in everything and "secret-guess-7" not in everything


def test_a_refusal_names_who_was_refused_where(db, c):
    r = sign_in(db, "village1").get("/admin/users")
    assert r.status_code == 403
    (denied,) = entries(db, "access.denied")
    assert (denied.username, denied.user_id, denied.outcome) == ("village1", c.verifier.user_id, "denied")
    assert denied.detail["path"] == "/admin/users" and denied.client == "testclient"


def test_each_transition_is_an_entry_sealing_its_history_row(db, c):
    claim = claim_in(db, c, "hr_reviewed")
    with db.sessions() as s:
        history = list(s.scalars(select(ClaimHistory).where(ClaimHistory.claim_id == claim.id)))
    sealed = [e for e in entries(db, "claim.") if e.target_id == str(claim.id)]
    assert [(e.row_table, e.row_id) for e in sealed] == [("claim_history", h.id) for h in history]
    approve = next(e for e in sealed if e.action == "claim.approve")
    assert (approve.user_id, approve.role, approve.detail) == (
        c.hr.user_id,
        "hr",
        {"from": "village_verified", "to": "hr_reviewed"},
    )
    assert audit.verify(db).ok


def test_look_ups_by_id_number_are_recorded_without_the_number(db, tmp_path):
    with api_client(db, tmp_path / "files") as api:
        number = id_number()
        created = api.post(
            "/api/v1/persons",
            json={"name": "卓玛", "id_number": number, "village_code": "533422101001"},
        )
        assert created.status_code in (200, 201), created.text
        assert api.post("/api/v1/persons/lookup", json={"id_number": number}).status_code == 200
        assert (
            api.post("/api/v1/persons/lookup", json={"id_number": id_number("19850101")}).status_code == 404
        )
    found, missed = entries(db, "person.lookup")[:2]
    assert (found.outcome, found.target_id, found.username) == ("ok", str(created.json()["id"]), "agent1")
    assert (missed.outcome, missed.target_id) == ("failed", None)
    assert number not in " ".join(repr(e.__dict__) for e in entries(db))


def test_exports_documents_the_bank_file_and_payout_changes_are_recorded(db, c):
    give_broker_an_account(db, c)
    claim = claim_in(db, c, "hr_reviewed")
    hr = sign_in(db, "hr1")
    assert hr.get("/exports/inbox").status_code == 200
    assert hr.get(f"/claims/{claim.id}/documents/approval_form").status_code == 200
    batch = batch_pool.create_batch(db, c.finance, [claim.id])
    finance = sign_in(db, "finance1")
    assert finance.get(f"/payouts/{batch.id}/bank-file/csv").status_code == 200
    (export,) = entries(db, "export")
    assert (export.username, export.target_id, export.outcome) == ("hr1", "inbox", "ok")
    (document,) = entries(db, "document.download")
    assert (document.target_kind, document.target_id, document.detail["what"]) == (
        "claim",
        str(claim.id),
        "approval_form",
    )
    (bank,) = entries(db, "payout.bank_file")
    assert (bank.username, bank.detail["unmasked"]) == ("finance1", "bank_account")
    (unmasked,) = entries(db, "pii.unmask")
    assert (unmasked.target_id, unmasked.detail) == (str(batch.id), {"what": "bank_account", "count": 1})
    assert [e.action for e in entries(db, "payout.")] == [
        "payout.create",
        "payout.line",
        "payout.export",
        "payout.bank_file",
    ]
    (line,) = entries(db, "payout.line")
    assert line.row_table == "payout_line" and line.detail["amount"] == "300.00"
    assert audit.verify(db).ok


def test_admin_changes_are_recorded_and_the_admin_searches_the_log(db, c):
    add_admin(db)
    admin = sign_in(db, "admin1")
    page = f"/admin/users/{c.hr.user_id}"
    r = admin.submit(page, f"{page}/unlock", {})
    assert r.status_code == 303, r.text
    (change,) = entries(db, "admin.user")
    assert (change.username, change.target_id, change.detail["what"], change.outcome) == (
        "admin1",
        str(c.hr.user_id),
        "unlock",
        "ok",
    )
    listed = admin.get(
        "/admin/audit?action=admin.user&outcome=ok&user=admin1&since=2026-11-28&until=2026-11-28"
    )
    assert listed.status_code == 200 and "admin.user" in listed.text and "auth.sign_in" not in listed.text
    head = audit.current_head(db)
    assert f"{head[0]}:" in admin.get("/admin/audit").text
    assert sign_in(db, "hr1").get("/admin/audit").status_code == 403


def test_a_user_added_from_the_command_line_is_recorded(db, db_url, monkeypatch):
    from cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    assert main(["user", "add", "cli_hr", "--roles", "hr", "--password", "long-enough-1"]) == 0
    (made,) = entries(db, "user.create")
    assert (made.username, made.user_id, made.outcome) == ("命令行", None, "ok")
    assert "roles" in made.detail["fields"] and "long-enough-1" not in repr(made.__dict__)


def test_the_head_is_sent_to_the_admins_once_a_day(db, c, clock):
    add_admin(db)
    claim_in(db, c, "village_verified")
    run_sweep(db)
    run_sweep(db)
    (told,) = entries(db, "audit.head_sent")
    with db.sessions() as s:
        sent = list(s.scalars(select(Notification).where(Notification.kind == "audit_head")))
    assert len(sent) == 1 and f"{told.seq - 1}:{told.detail['hash']}" in sent[0].body
    assert told.prev_hash == told.detail["hash"]  # the head as it stood when it was sent
    clock.advance(days=1)
    run_sweep(db)
    with db.sessions() as s:
        assert len(list(s.scalars(select(Notification).where(Notification.kind == "audit_head")))) == 2
    assert audit.verify(db).ok


def test_the_roster_prints_the_head(db, c):
    give_broker_an_account(db, c)
    claim = claim_in(db, c, "hr_reviewed")
    batch = batch_pool.create_batch(db, c.finance, [claim.id])
    seq, digest = audit.current_head(db)
    roster = issue_roster(db, c.finance, batch.id, batch.reference, roster_lines(db, [claim.id]))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=roster.pdf, capture_output=True, check=True
    ).stdout.decode()
    assert f"审计链头：{seq}:" in text and digest[:12] in text.replace("\n", "")


def test_concurrent_writers_never_fork_the_chain(db):
    def write(n):
        for i in range(10):
            audit.record(db, audit.entry(db.clock.now(), "test.concurrent", target=("thread", f"{n}-{i}")))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = entries(db, "test.concurrent")
    assert len(written) == 80 and [e.seq for e in entries(db)] == list(range(1, len(entries(db)) + 1))
    assert audit.verify(db).ok
