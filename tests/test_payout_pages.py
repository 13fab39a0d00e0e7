"""Finance's payout pages: batch the approved pool, bank file, roster PDF (made in the
background), confirm, failed lines, reconciliation, separation of duties, and nobody but finance
may look."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import tempfile
from decimal import Decimal

import openpyxl
import pytest

from store.claims import ClaimInput, submit_claim
from store.documents import rosters as documents
from store.models import Claim
from store.payouts import batch_rows
from store.transitions import transition
from workflow.numerals import capital_yuan

from .builders import claim_in, export_claim, legacy_account, person
from .builders_payouts import ORG_ACCOUNT, give_broker_an_account
from .page_support import csrf_of, sign_in


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:  # pdftotext reads a file, not a pipe
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, check=True
        ).stdout.decode()


@pytest.fixture(autouse=True)
def files_in_tmp(tmp_path, monkeypatch):
    """The app keeps rosters under its data directory: a test's own, not the checkout's var/."""
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def c(c, db):
    return give_broker_an_account(db, c)


def new_batch(browser, ids) -> int:
    """Preview the claims, then confirm the batch the preview shows (as finance does)."""
    preview = browser.get("/payouts/preview", params={"ids": [str(i) for i in ids]})
    assert preview.status_code == 200, preview.text
    lines = re.findall(r'name="line" value="([^"]+)"', preview.text)
    assert len(lines) == len(ids), preview.text
    r = browser.client.post(
        "/payouts",
        data={"line": lines, "_csrf_token": csrf_of(preview.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    match = re.fullmatch(r"/payouts/(\d+)\?done=created", r.headers["location"])
    assert match, r.headers["location"]
    return int(match.group(1))


def state_of(db, claim_id) -> str:
    with db.sessions() as s:
        return s.get(Claim, claim_id).state


def transport_claim(db, c) -> int:
    """A transport subsidy: paid to the person (扎西), not to the labour broker."""
    claim = submit_claim(
        db,
        c.agent,
        ClaimInput(
            "transport_subsidy",
            person(db, c.village, name="扎西"),
            2026,
            {"destination": "out_of_province", "employment_start": "2026-03-01", "fare": "650"},
        ),
    )
    transition(db, "claim", claim.id, "verify", c.verifier)
    return transition(db, "claim", claim.id, "approve", c.hr).id


def test_finance_batches_downloads_the_bank_file_and_roster_and_confirms(db, c):
    ids = [claim_in(db, c, "hr_reviewed").id, transport_claim(db, c)]
    browser = sign_in(db, "finance1")
    pool = browser.get("/payouts")
    assert pool.status_code == 200 and 'href="/payouts"' in pool.text
    for i in ids:
        assert f'name="ids" value="{i}"' in pool.text
    batch_id = new_batch(browser, ids)
    page = browser.get(f"/payouts/{batch_id}").text
    batch = batch_rows.get_batch(db, batch_id)
    assert batch.line_count == 2 and batch.reference in page and str(batch.total_amount) in page
    assert "6222***********3445" in page and ORG_ACCOUNT not in page  # masked

    r = browser.get(f"/payouts/{batch_id}/bank-file/xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    amount = rows[0].index("金额")
    assert sum(Decimal(str(row[amount])) for row in rows[1:]) == batch.total_amount
    assert len(rows) == 3
    r = browser.get(f"/payouts/{batch_id}/bank-file/csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert sum(Decimal(x[3]) for x in lines[1:]) == batch.total_amount

    r = browser.submit(f"/payouts/{batch_id}", f"/payouts/{batch_id}/roster", {})
    assert r.status_code == 303 and r.headers["location"] == f"/payouts/{batch_id}"
    browser.client.app.state.jobs.wait(60)  # made in the background (tests/test_roster_jobs.py)
    r = browser.get(f"/payouts/{batch_id}/roster")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "德钦劳务经" in text and "扎西" in text  # the broker's long name is cut to fit
    assert capital_yuan(batch.total_amount) in text.replace(" ", "")

    r = browser.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/confirm",
        {"bank_reference": "YH20261127001", "paid_on": "2026-11-27"},
    )
    assert r.status_code == 200 and "已确认发放" in r.text and "YH20261127001" in r.text
    for i in ids:
        assert state_of(db, i) == "finance_paid"
        assert "财务已发放" in browser.get(f"/claims/{i}").text
    assert batch_rows.get_batch(db, batch_id).state == "confirmed"
    again = browser.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/confirm",
        {"bank_reference": "YH20261127001", "paid_on": "2026-11-27"},
    )
    assert again.status_code == 200 and "此前已确认发放" in again.text  # never paid twice


def test_a_failed_line_shows_its_reason_and_returns_to_the_pool(db, c):
    ids = [claim_in(db, c, "hr_reviewed").id for _ in range(2)]
    browser = sign_in(db, "finance1")
    batch_id = new_batch(browser, ids)
    failed = batch_rows.get_batch(db, batch_id).lines[0]
    r = browser.submit(
        f"/payouts/{batch_id}", f"/payouts/{batch_id}/lines/{failed.id}/fail", {"reason": "账户已销户"}
    )
    assert r.status_code == 303
    page = browser.get(r.headers["location"]).text
    assert "账户已销户" in page and "发放失败" in page
    pool = browser.get("/payouts").text
    assert f'name="ids" value="{failed.claim_id}"' in pool and "账户已销户" in pool
    empty = browser.submit(
        f"/payouts/{batch_id}", f"/payouts/{batch_id}/lines/{failed.id}/fail", {"reason": ""}
    )
    assert empty.status_code == 422
    r = browser.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/confirm",
        {"bank_reference": "YH2", "paid_on": "2026-11-27"},
    )
    assert "该笔已标记失败" in r.text
    assert state_of(db, failed.claim_id) == "hr_reviewed"
    assert state_of(db, ids[1]) == "finance_paid"
    again = new_batch(browser, [failed.claim_id])  # back in the pool: batched again
    assert again != batch_id


def test_the_return_file_pays_the_lines_and_lists_an_unknown_row(db, c):
    ids = [claim_in(db, c, "hr_reviewed").id for _ in range(2)]
    browser = sign_in(db, "finance1")
    batch_id = new_batch(browser, ids)
    bank = browser.get(f"/payouts/{batch_id}/bank-file/csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(bank)))
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            [*rows[0], "状态", "银行流水号"],
            *[[*r, "成功", f"S{r[0]}"] for r in rows[1:]],
            ["9", "陌生人", "6222000000000000999", "100.00", "999999", "成功", "S9"],
        ]
    )
    page = browser.get(f"/payouts/{batch_id}").text
    r = browser.client.post(
        f"/payouts/{batch_id}/reconcile",
        files={"file": ("return.csv", out.getvalue().encode("gb18030"), "text/csv")},
        data={"_csrf_token": csrf_of(page)},
    )
    assert r.status_code == 200, r.text
    assert "回单导入结果" in r.text and "批次中没有此笔，未处理" in r.text
    unknown = r.text.split('data-outcome="unknown"')[1].split("</tr>")[0]
    assert "999999" in unknown and "陌生人" in unknown
    assert r.text.count('data-outcome="paid"') == 2 and 'data-outcome="missing"' not in r.text
    assert [state_of(db, i) for i in ids] == ["finance_paid", "finance_paid"]
    bad = browser.client.post(
        f"/payouts/{batch_id}/reconcile",
        files={"file": ("return.txt", b"x", "text/plain")},
        data={"_csrf_token": csrf_of(page)},
    )
    assert bad.status_code == 422 and "回单文件须为" in bad.text


def test_the_reviewer_of_a_claim_cannot_confirm_its_payment(db, c):
    hrfin = legacy_account(db, "hrfin", ["hr", "finance"])
    own = export_claim(db, c, person(db, c.village, name="扎西"))
    transition(db, "claim", own.id, "verify", c.verifier)
    transition(db, "claim", own.id, "approve", hrfin)
    batch_id = new_batch(sign_in(db, "finance1"), [own.id])
    r = sign_in(db, "hrfin").submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/confirm",
        {"bank_reference": "YH3", "paid_on": "2026-11-27"},
    )
    assert r.status_code == 200 and "不能确认" in r.text
    outcome = r.text.split("确认结果")[1].split("</section>")[0]
    assert f"/claims/{own.id}" in outcome and "不能确认" in outcome
    assert state_of(db, own.id) == "hr_reviewed"


def test_a_claim_not_in_the_pool_is_refused_with_a_message(db, c):
    paid = claim_in(db, c, "finance_paid")
    browser = sign_in(db, "finance1")
    r = browser.get("/payouts/preview", params={"ids": [str(paid.id)]})
    assert r.status_code == 200 and "不是待发放状态" in r.text and 'name="line"' not in r.text
    assert browser.submit("/payouts", "/payouts", {}).status_code == 422
    forged = browser.submit("/payouts", "/payouts", {"line": f"{paid.id}:0123456789abcdef01234567"})
    assert forged.status_code == 409 and "批次未生成" in forged.text


@pytest.mark.parametrize("username", ["hr1", "village1"])
def test_only_finance_may_see_the_payout_pages(db, c, username):
    ids = [claim_in(db, c, "hr_reviewed").id]
    batch_id = new_batch(sign_in(db, "finance1"), ids)
    browser = sign_in(db, username)
    assert 'href="/payouts"' not in browser.get("/inbox").text
    for path in (
        "/payouts",
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/bank-file/csv",
        f"/payouts/{batch_id}/roster",
    ):
        assert browser.get(path).status_code == 403, path
    token = csrf_of(browser.get("/inbox").text)
    r = browser.client.post(
        f"/payouts/{batch_id}/confirm",
        follow_redirects=False,
        data={"bank_reference": "X", "paid_on": "2026-11-27", "_csrf_token": token},
    )
    assert r.status_code == 403
    assert state_of(db, ids[0]) == "hr_reviewed"
    r = browser.client.post(
        f"/payouts/{batch_id}/roster", follow_redirects=False, data={"_csrf_token": token}
    )
    assert r.status_code == 403
    assert documents.roster_status(db, batch_id) is None
