"""A batch as its lines stand: totals that follow failed lines, a roster reissued (the old one
superseded on /verify) when a line fails, and a bank return file that disagrees with a line
(80 paid where 800 was due) held for finance's recorded decision, never silently paid."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from store.claims import ClaimInput, submit_claim
from store.documents import register
from store.documents import rosters as documents
from store.documents.models import Document
from store.models import Claim, ClaimHistory
from store.payouts import batch_pool, batch_rows
from store.payouts import batches as payouts
from store.payouts import returns as payout_reconcile
from store.transitions import transition
from workflow.errors import DomainError
from workflow.numerals import capital_yuan

from .builders import county, person
from .builders_payouts import give_payee_an_account
from .page_support import csrf_of, sign_in
from .test_payout_pages import pdf_text


@pytest.fixture
def c(db, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    clock.current = datetime(2026, 11, 20, 10, 0)
    return county(db)


def transport(db, c, fare: str, name: str) -> int:
    """A transport subsidy of the fare (≤ 1,000 out of province), paid to the person."""
    claim = submit_claim(
        db,
        c.agent,
        ClaimInput(
            "transport_subsidy",
            person(db, c.village, name=name),
            2026,
            {"destination": "out_of_province", "employment_start": "2026-03-01", "fare": fare},
        ),
    )
    transition(db, "claim", claim.id, "verify", c.verifier)
    claim_id = transition(db, "claim", claim.id, "approve", c.hr).id
    give_payee_an_account(db, claim_id)
    return claim_id


def batch_of(db, c, fares: dict[str, str]) -> tuple[int, list[int]]:
    ids = [transport(db, c, fare, name) for name, fare in fares.items()]
    return batch_pool.create_batch(db, c.finance, ids).id, ids


def state_of(db, claim_id: int) -> str:
    with db.sessions() as s:
        return s.get_one(Claim, claim_id).state


def pay_steps(db, claim_id: int) -> list[ClaimHistory]:
    with db.sessions() as s:
        return list(
            s.scalars(
                select(ClaimHistory).where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "pay")
            )
        )


def totals_row(page: str, kind: str) -> str:
    return page.split(f'data-kind="{kind}"')[1].split("</tr>")[0]


def return_file(browser, batch_id: int, amounts: dict[str, str]) -> bytes:
    """The bank's return file as the bank sends it: its own rows, amounts as it paid them."""
    sent = browser.get(f"/payouts/{batch_id}/bank-file/csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(sent)))
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            [*rows[0], "状态", "银行流水号"],
            *[[*r[:3], amounts.get(r[4], r[3]), r[4], "成功", f"YH2026112000{r[0]}"] for r in rows[1:]],
        ]
    )
    return out.getvalue().encode("gb18030")


def upload(browser, batch_id: int, content: bytes):
    page = browser.get(f"/payouts/{batch_id}").text
    return browser.client.post(
        f"/payouts/{batch_id}/reconcile",
        files={"file": ("回单.csv", content, "text/csv")},
        data={"_csrf_token": csrf_of(page)},
    )


# --- totals and the roster follow the lines --------------------------------------------------


def test_a_failed_line_leaves_the_totals_and_the_printed_roster_is_superseded(db, c):
    batch_id, (kept, failed) = batch_of(db, c, {"扎西": "800", "卓玛": "650"})
    finance = sign_in(db, "finance1")
    finance.submit(f"/payouts/{batch_id}", f"/payouts/{batch_id}/roster", {})
    finance.client.app.state.jobs.wait(60)
    old = documents.ready_roster(db, batch_id)
    with db.sessions() as s:
        old_code = s.get_one(Document, old.id).verification_code
    assert "1,450.00" in pdf_text(finance.get(f"/payouts/{batch_id}/roster").content)

    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == failed)
    r = finance.submit(
        f"/payouts/{batch_id}", f"/payouts/{batch_id}/lines/{line.id}/fail", {"reason": "账户已冻结"}
    )
    assert r.status_code == 303
    # the old roster is superseded at once, before the new one is made
    assert register.verify(db, old_code).status == "superseded"
    assert "已被更新的文书取代" in finance.get(f"/verify/{old_code}").text
    finance.client.app.state.jobs.wait(60)

    batch = batch_rows.get_batch(db, batch_id)
    assert (batch.line_count, batch.total_amount) == (1, Decimal("800.00"))
    assert [p["amount"] for p in batch.payee_totals["payees"]] == ["800.00"]
    page = finance.get(f"/payouts/{batch_id}").text
    assert "800.00" in totals_row(page, "due") and capital_yuan(800) in totals_row(page, "due")
    assert "650.00" in totals_row(page, "failed") and "1450.00" not in page
    new = documents.ready_roster(db, batch_id)
    assert new is not None and new.number != old.number
    text = pdf_text(finance.get(f"/payouts/{batch_id}/roster").content)
    assert "卓玛" not in text and capital_yuan(800) in text.replace(" ", "")
    with db.sessions() as s:
        new_code = s.get_one(Document, new.id).verification_code
    assert register.verify(db, new_code).status == "genuine"

    payouts.confirm_paid(db, c.finance, batch_id, "YH1", datetime(2026, 11, 21).date())
    page = finance.get(f"/payouts/{batch_id}").text
    assert "800.00" in totals_row(page, "paid") and "0.00" in totals_row(page, "pending")
    assert state_of(db, kept) == "finance_paid" and state_of(db, failed) == "hr_reviewed"


def test_a_batch_never_printed_gets_no_roster_when_a_line_fails(db, c):
    batch_id, _ = batch_of(db, c, {"扎西": "800", "卓玛": "650"})
    finance = sign_in(db, "finance1")
    line = batch_rows.get_batch(db, batch_id).lines[0]
    finance.submit(
        f"/payouts/{batch_id}", f"/payouts/{batch_id}/lines/{line.id}/fail", {"reason": "账户已冻结"}
    )
    assert documents.roster_status(db, batch_id) is None


# --- a return file that disagrees ------------------------------------------------------------


def flagged_batch(db, c):
    """扎西 due 800, the bank reports 80; 卓玛 due 650, paid as due."""
    batch_id, ids = batch_of(db, c, {"扎西": "800", "卓玛": "650"})
    finance = sign_in(db, "finance1")
    r = upload(finance, batch_id, return_file(finance, batch_id, {str(ids[0]): "80.00"}))
    assert r.status_code == 200, r.text
    return finance, batch_id, ids


def test_a_bank_paying_80_where_800_was_due_holds_the_line_for_finance(db, c):
    finance, batch_id, (short, fine) = flagged_batch(db, c)
    page = finance.get(f"/payouts/{batch_id}").text
    assert "有1笔银行回单金额与应付不符" in page and "对账不符，待处理" in page
    assert "金额 80.00 元，应付 800.00 元" in page
    assert "按银行实付确认，差额另行处理" in page and "退回待发放" in page
    assert "800.00" in totals_row(page, "awaiting")

    r = finance.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/confirm",
        {"bank_reference": "YH20261120009", "paid_on": "2026-11-20"},
    )
    assert r.status_code == 200 and "对账不符，待处理" in r.text
    assert (state_of(db, short), state_of(db, fine)) == ("hr_reviewed", "finance_paid")
    assert pay_steps(db, short) == [] and batch_rows.get_batch(db, batch_id).state == "exported"


def test_finance_accepts_what_the_bank_paid_and_the_decision_is_recorded(db, c, clock):
    finance, batch_id, (short, _) = flagged_batch(db, c)
    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == short)
    action = f"/payouts/{batch_id}/lines/{line.id}/decide"
    no_note = finance.submit(f"/payouts/{batch_id}", action, {"decision": "bank_amount", "note": " "})
    assert no_note.status_code == 422 and "请填写处理意见" in no_note.text
    clock.current = datetime(2026, 11, 20, 10, 20)
    r = finance.submit(
        f"/payouts/{batch_id}",
        action,
        {
            "decision": "bank_amount",
            "note": "经与银行核实，实付80元",
            "paid_on": "2026-11-20",
            "bank_reference": line.bank_serial,
        },
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=decided")

    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == short)
    assert (line.status, line.paid_amount, line.bank_reference) == ("paid", Decimal("80.00"), "YH20261120001")
    assert (line.decision, line.decided_by, line.decided_at) == (
        "bank_amount",
        c.finance.user_id,
        datetime(2026, 11, 20, 10, 20),
    )
    [step] = pay_steps(db, short)
    assert "差额 720.00 元另行处理" in step.comment and "经与银行核实" in step.comment
    assert state_of(db, short) == "finance_paid"
    page = finance.get(f"/payouts/{batch_id}").text
    assert "finance1 2026-11-20 10:20" in page and "实付 80.00" in page
    assert "720.00" in totals_row(page, "shortfall")
    assert "730.00" in totals_row(page, "paid")  # 80 accepted + 卓玛's 650, paid by the import

    again = finance.submit(
        f"/payouts/{batch_id}", action, {"decision": "bank_amount", "note": "再次", "paid_on": "2026-11-20"}
    )
    assert again.status_code == 409 and "已处理" in again.text
    assert len(pay_steps(db, short)) == 1


def test_finance_returns_the_line_to_the_pool_and_it_is_paid_in_a_later_batch(db, c):
    finance, batch_id, (short, _) = flagged_batch(db, c)
    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == short)
    r = finance.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/lines/{line.id}/decide",
        {"decision": "returned", "note": "银行将退回款项"},
    )
    assert r.status_code == 303
    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == short)
    assert (line.status, line.decision, line.decided_by) == ("failed", "returned", c.finance.user_id)
    assert "对账不符" in line.failure_reason and state_of(db, short) == "hr_reviewed"
    batch = batch_rows.get_batch(db, batch_id)
    assert (batch.line_count, batch.total_amount) == (1, Decimal("650.00"))
    later = batch_pool.create_batch(db, c.finance, [short])
    assert [
        o.outcome for o in payouts.confirm_paid(db, c.finance, later.id, "YH2", datetime(2026, 11, 24).date())
    ] == ["paid"]
    assert len(pay_steps(db, short)) == 1


def test_concurrent_decisions_pay_a_flagged_line_once(db, c):
    _, batch_id, (short, _) = flagged_batch(db, c)
    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == short)
    barrier = threading.Barrier(4)

    def decide(i: int) -> str:
        barrier.wait()
        try:
            payout_reconcile.decide(
                db,
                c.finance,
                batch_id,
                line.id,
                ("bank_amount", "returned")[i % 2],
                "核实",
                "YH9",
                datetime(2026, 11, 20).date(),
            )
            return "ok"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(decide, range(4)))
    assert results.count("ok") == 1, results
    with db.sessions() as s:
        steps = s.scalar(
            select(func.count())
            .select_from(ClaimHistory)
            .where(ClaimHistory.claim_id == short, ClaimHistory.trigger == "pay")
        )
    assert steps == (1 if state_of(db, short) == "finance_paid" else 0)


def test_a_bank_paying_more_than_was_due_cannot_be_accepted_as_paid(db, c):
    batch_id, (over, _) = batch_of(db, c, {"扎西": "800", "卓玛": "650"})
    finance = sign_in(db, "finance1")
    upload(finance, batch_id, return_file(finance, batch_id, {str(over): "8000.00"}))
    line = next(li for li in batch_rows.get_batch(db, batch_id).lines if li.claim_id == over)
    assert line.awaiting_decision
    r = finance.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/lines/{line.id}/decide",
        {"decision": "bank_amount", "note": "核实", "paid_on": "2026-11-20"},
    )
    assert r.status_code == 409 and "多于应付" in r.text
    assert state_of(db, over) == "hr_reviewed" and pay_steps(db, over) == []
