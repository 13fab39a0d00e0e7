"""The 发放花名册 made in the background: asked for on the batch page, followed while it is made,
downloaded when ready; a failure or an interrupted job says so and leaves nothing half-kept."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from printing import layout
from store.documents import rosters as documents
from store.documents.models import Document
from store.documents.register import verify
from store.documents.rosters import ROSTER_FAILED, ROSTER_INTERRUPTED, ROSTER_OUTDATED
from store.payouts import batch_rows
from web.pages.payout_views import ROSTER_ERRORS
from workflow.numerals import capital_yuan

from .builders import claim_in
from .builders_payouts import ORG_ACCOUNT, give_broker_an_account
from .page_support import csrf_of, sign_in
from .test_payout_pages import new_batch, pdf_text, transport_claim

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


REAL_RENDER = layout.payout_roster


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """The app keeps rosters under ``<data>/files/documents``: a test's own directory."""
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def c(c, db, data_dir):
    return give_broker_an_account(db, c)


@pytest.fixture
def batch_id(db, c) -> int:
    return new_batch(sign_in(db, "finance1"), [claim_in(db, c, "hr_reviewed").id, transport_claim(db, c)])


@pytest.fixture
def held(monkeypatch):
    """The renderer waits until the test releases it, so a test can look at a pending roster."""
    release, calls = threading.Event(), []

    def render(*args, **kw):
        calls.append(args)
        assert release.wait(30), "the test never released the roster"
        return REAL_RENDER(*args, **kw)

    monkeypatch.setattr(layout, "payout_roster", render)
    yield release, calls
    release.set()


def ask_for_roster(browser, batch_id: int) -> None:
    r = browser.submit(f"/payouts/{batch_id}", f"/payouts/{batch_id}/roster", {})
    assert r.status_code == 303 and r.headers["location"] == f"/payouts/{batch_id}"


def finish_jobs(browser) -> None:
    browser.client.app.state.jobs.wait(60)


def kept_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "files").rglob("*"))


def roster_count(db, batch_id: int) -> int:
    with db.sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.kind == "payout_roster", Document.subject_id == batch_id)
        )


def test_a_roster_is_made_in_the_background_and_downloaded_when_ready(db, batch_id, held, data_dir):
    release, _ = held
    browser = sign_in(db, "finance1")
    assert "生成花名册" in browser.get(f"/payouts/{batch_id}").text
    before = browser.get(f"/payouts/{batch_id}/roster", follow_redirects=False)
    assert before.status_code == 303 and before.headers["location"] == f"/payouts/{batch_id}"

    ask_for_roster(browser, batch_id)
    roster = documents.roster_status(db, batch_id)
    assert roster is not None and roster.status == "pending"
    page = browser.get(f"/payouts/{batch_id}").text
    assert f"花名册正在生成（第{roster.number}号），请稍候" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert f'action="/payouts/{batch_id}/roster"' not in page  # no second button while pending
    assert browser.get(f"/payouts/{batch_id}/roster", follow_redirects=False).status_code == 303

    release.set()
    finish_jobs(browser)
    ready = documents.roster_status(db, batch_id)
    assert ready is not None and (ready.status, ready.number) == ("ready", roster.number)
    page = browser.get(f"/payouts/{batch_id}").text
    assert "http-equiv" not in page
    assert f"下载发放花名册（第{roster.number}号，2026-11-28 10:00生成）" in page
    r = browser.get(f"/payouts/{batch_id}/roster")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    batch = batch_rows.get_batch(db, batch_id)
    assert r.headers["content-disposition"].startswith("inline; filename*=UTF-8''")
    text = pdf_text(r.content)
    assert "德钦劳务经" in text and "扎西" in text  # the broker's long name is cut to fit
    assert capital_yuan(batch.total_amount) in text.replace(" ", "")
    assert kept_files(data_dir) == [
        data_dir / "files" / "documents",
        data_dir / "files" / "documents" / f"{ready.sha256}.pdf",
    ]
    with db.sessions() as s:
        code = s.get_one(Document, ready.id).verification_code
    assert verify(db, code).status == "genuine"


def test_asking_again_while_one_is_pending_starts_no_second_job(db, batch_id, held):
    release, calls = held
    browser = sign_in(db, "finance1")
    ask_for_roster(browser, batch_id)
    first = documents.roster_status(db, batch_id)
    again = browser.client.post(
        f"/payouts/{batch_id}/roster",
        follow_redirects=False,
        data={"_csrf_token": csrf_of(browser.get(f"/payouts/{batch_id}").text)},
    )
    assert again.status_code == 303
    assert documents.roster_status(db, batch_id) == first and roster_count(db, batch_id) == 1
    release.set()
    finish_jobs(browser)
    assert len(calls) == 1

    # Once ready, asking again for the unchanged batch is the same roster: nothing rendered, no
    # number superseded (a batch whose lines changed gets a new one: test_document_versions).
    ask_for_roster(browser, batch_id)
    finish_jobs(browser)
    second = documents.roster_status(db, batch_id)
    assert second is not None and (second.status, second.number) == ("ready", first.number)
    assert len(calls) == 1 and roster_count(db, batch_id) == 1
    with db.sessions() as s:
        code = s.get_one(Document, first.id).verification_code
    assert verify(db, code).status == "genuine"


@pytest.fixture
def logged():
    """What the documents module logs (the app's logging setup replaces pytest's capture)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("fuzhi.documents")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.mark.parametrize("where", ["render", "register"])
def test_a_failure_shows_the_message_and_keeps_nothing(db, batch_id, data_dir, monkeypatch, logged, where):
    def boom(*args, **kw):
        raise RuntimeError(f"扎西 {ORG_ACCOUNT}")  # what a message might carry: never shown

    monkeypatch.setattr(
        *((layout, "payout_roster", boom) if where == "render" else (documents, "_register", boom))
    )
    browser = sign_in(db, "finance1")
    ask_for_roster(browser, batch_id)
    finish_jobs(browser)

    roster = documents.roster_status(db, batch_id)
    assert roster is not None and (roster.status, roster.error) == ("failed", ROSTER_FAILED)
    page = browser.get(f"/payouts/{batch_id}").text
    assert ROSTER_FAILED in page and "生成花名册" in page and "http-equiv" not in page
    log = "\n".join(r.getMessage() for r in logged)
    assert "花名册生成失败" in log and ORG_ACCOUNT not in log and ORG_ACCOUNT not in page
    with db.sessions() as s:
        doc = s.get_one(Document, roster.id)
        assert (doc.content_sha256, doc.stored) == (None, False)
    assert verify(db, doc.verification_code).status == "unknown"
    assert not [f for f in kept_files(data_dir) if f.is_file()]  # no PDF, no half-written part
    assert browser.get(f"/payouts/{batch_id}/roster", follow_redirects=False).status_code == 303


def test_a_pending_roster_left_by_a_restart_counts_as_failed(db, c, batch_id, clock):
    stranded = documents.start_roster(db, c.finance, batch_id)  # its job never ran
    assert stranded.started and stranded.status == "pending"
    clock.advance(minutes=15)
    assert documents.roster_status(db, batch_id).status == "pending"
    clock.advance(minutes=1)
    assert documents.roster_status(db, batch_id).error == ROSTER_INTERRUPTED
    browser = sign_in(db, "finance1")
    assert ROSTER_INTERRUPTED in browser.get(f"/payouts/{batch_id}").text

    ask_for_roster(browser, batch_id)  # asking again starts a new one
    finish_jobs(browser)
    roster = documents.roster_status(db, batch_id)
    assert roster.status == "ready" and roster.id != stranded.id


def test_a_slow_roster_finishing_last_does_not_supersede_a_newer_one(db, c, batch_id, clock, data_dir):
    files = data_dir / "files"
    slow = documents.start_roster(db, c.finance, batch_id)
    clock.advance(minutes=20)
    newer = documents.start_roster(db, c.finance, batch_id)
    assert newer.started and newer.id != slow.id
    documents.render_roster(db, files, newer.id)
    documents.render_roster(db, files, slow.id)
    ready = documents.ready_roster(db, batch_id)
    assert ready is not None and ready.id == newer.id
    with db.sessions() as s:
        assert s.get_one(Document, slow.id).superseded_at is not None
        assert s.get_one(Document, newer.id).superseded_at is None


@pytest.mark.parametrize("username", ["hr1", "village1"])
def test_only_finance_may_ask_for_or_download_a_roster(db, batch_id, username):
    browser = sign_in(db, username)
    token = csrf_of(browser.get("/inbox").text)
    r = browser.client.post(
        f"/payouts/{batch_id}/roster", follow_redirects=False, data={"_csrf_token": token}
    )
    assert r.status_code == 403 and roster_count(db, batch_id) == 0
    assert browser.get(f"/payouts/{batch_id}/roster").status_code == 403


def test_asking_without_the_csrf_token_is_refused(db, batch_id):
    browser = sign_in(db, "finance1")
    r = browser.client.post(f"/payouts/{batch_id}/roster", follow_redirects=False, data={})
    assert r.status_code == 403 and roster_count(db, batch_id) == 0


def test_the_recorded_errors_are_marked_for_translation():
    assert set(ROSTER_ERRORS) == {ROSTER_FAILED, ROSTER_INTERRUPTED, ROSTER_OUTDATED}
