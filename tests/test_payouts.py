"""Payout batches: batch, bank file, confirm, failures, crash and race safety, the bank's return file."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from store.access.users import actor_for, create_user
from store.claims import ClaimInput, submit_claim
from store.claims.worklist import Filters
from store.models import Claim, ClaimHistory
from store.payouts import batch_pool, batch_rows
from store.payouts import batches as payouts
from store.payouts.models import PayoutBatch, PayoutLine
from store.payouts.return_import import import_return
from store.transitions import transition
from workflow.errors import InvalidTransition, TransitionRefused, ValidationFailed

from .builders import claim_in, legacy_account, person
from .builders_payouts import ORG_ACCOUNT, give_broker_an_account

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


PERSON_ACCOUNT = "6217000000000000123"  # what builders.person registers
PAID_ON = date(2026, 11, 27)


@pytest.fixture
def c(c, db):
    county_ = give_broker_an_account(db, c)
    with db.transaction() as s:

        def user(name, roles):
            return actor_for(
                s, create_user(s, db, username=name, password="password-123", roles=roles, display_name=name)
            )

        county_.finance2 = user("finance2", ["finance"])
    county_.hr_finance = legacy_account(db, "hrfin", ["hr", "finance"])
    return county_


def approved(db, c, n):
    return [claim_in(db, c, "hr_reviewed").id for _ in range(n)]


def transport_claim(db, c, approver=None):
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
    return transition(db, "claim", claim.id, "approve", approver or c.hr).id


def states(db, ids):
    with db.sessions() as s:
        return {i: s.get(Claim, i).state for i in ids}


def pay_steps(db, claim_id):
    with db.sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "pay")
        )


def line_ids(db, batch_id):
    return [li.id for li in batch_rows.get_batch(db, batch_id).lines]


# --- batch -----------------------------------------------------------------------------------


def test_a_batch_carries_control_totals_per_payee(db, c):
    ids = [*approved(db, c, 3), transport_claim(db, c)]
    batch = batch_pool.create_batch(db, c.finance, ids)
    assert batch.reference == "FK2026-0001"
    assert (batch.state, batch.line_count, batch.total_amount) == ("open", 4, Decimal("1550.00"))
    totals = {t["payee"]: t for t in batch.payee_totals["payees"]}
    assert totals["德钦劳务经纪人扎西"] == {
        "payee": "德钦劳务经纪人扎西",
        "payee_kind": "org",
        "account_last4": "3445",
        "lines": 3,
        "amount": "900.00",
    }
    assert totals["扎西"]["amount"] == "650.00" and totals["扎西"]["account_last4"] == "0123"
    assert batch_pool.create_batch(db, c.finance, approved(db, c, 1)).reference == "FK2026-0002"


def test_a_batch_can_be_made_from_inbox_filters(db, c):
    ids = approved(db, c, 2)
    transport_claim(db, c)
    batch = batch_pool.create_batch(db, c.finance, filters=Filters(subsidy_type="labour_export_service"))
    assert sorted(li.claim_id for li in batch_rows.get_batch(db, batch.id).lines) == sorted(ids)


def test_only_approved_claims_can_be_batched(db, c):
    verified = claim_in(db, c, "village_verified").id
    with pytest.raises(InvalidTransition) as err:
        batch_pool.create_batch(db, c.finance, [verified, *approved(db, c, 1)])
    assert err.value.details["claim_ids"] == [verified]


def test_only_finance_makes_batches(db, c):
    with pytest.raises(TransitionRefused):
        batch_pool.create_batch(db, c.hr, approved(db, c, 1))


def test_a_claim_cannot_be_in_two_open_batches(db, c):
    ids = approved(db, c, 2)
    batch_pool.create_batch(db, c.finance, ids)
    with pytest.raises(InvalidTransition):
        batch_pool.create_batch(db, c.finance2, ids[:1])
    with pytest.raises(ValidationFailed, match="没有可发放"):
        batch_pool.create_batch(db, c.finance2, filters=Filters())


def test_the_database_refuses_a_second_open_line_for_a_claim(db, c):
    claim_id = approved(db, c, 1)[0]
    batch = batch_pool.create_batch(db, c.finance, [claim_id])
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO payout_line (batch_id, seq, claim_id, open_claim_id, payee_kind, "
                "payee_name, account_enc, account_last4, amount, status, updated_at) VALUES "
                "(:b, 2, :c, :c, 'claimant', 'x', 'x', '0000', 300, 'pending', '2026-11-28')"
            ),
            {"b": batch.id, "c": claim_id},
        )


def test_the_database_refuses_a_second_paid_line_for_a_claim(db, c):
    claim_id = approved(db, c, 1)[0]
    first = batch_pool.create_batch(db, c.finance, [claim_id])
    payouts.mark_failed(db, c.finance, line_ids(db, first.id)[0], "账户已销户")
    second = batch_pool.create_batch(db, c.finance, [claim_id])
    payouts.confirm_paid(db, c.finance, second.id, "B001", PAID_ON)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text("UPDATE payout_line SET status = 'paid', paid_claim_id = claim_id WHERE batch_id = :b"),
            {"b": first.id},
        )


# --- bank file -------------------------------------------------------------------------------


def test_the_xlsx_bank_file_has_the_documented_layout(db, c):
    ids = approved(db, c, 2)
    batch = batch_pool.create_batch(db, c.finance, ids)
    sheet = openpyxl.load_workbook(io.BytesIO(payouts.bank_file(db, c.finance, batch.id, "xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "收款人", "收款账号", "金额", "附言")
    assert rows[1] == ("1", "德钦劳务经纪人扎西", ORG_ACCOUNT, "300.00", str(ids[0]))
    # Every cell text: the account with all its digits, the amount exactly as the bank reads it.
    assert all(cell.data_type == "s" and cell.number_format == "@" for cell in sheet[2])
    assert len(rows) == 3
    assert batch_rows.get_batch(db, batch.id).state == "exported"


def test_the_csv_bank_file_is_utf8_with_bom(db, c):
    ids = [transport_claim(db, c)]
    batch = batch_pool.create_batch(db, c.finance, ids)
    content = payouts.bank_file(db, c.finance, batch.id, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        ["序号", "收款人", "收款账号", "金额", "附言"],
        ["1", "扎西", PERSON_ACCOUNT, "650.00", str(ids[0])],
    ]


def test_the_bank_file_is_for_finance_only(db, c):
    batch = batch_pool.create_batch(db, c.finance, approved(db, c, 1))
    with pytest.raises(TransitionRefused):
        payouts.bank_file(db, c.hr, batch.id, "csv")


# --- confirm ---------------------------------------------------------------------------------


def test_confirming_a_batch_pays_every_claim_once(db, c):
    ids = approved(db, c, 3)
    batch = batch_pool.create_batch(db, c.finance, ids)
    outcomes = payouts.confirm_paid(db, c.finance, batch.id, "B20261127001", PAID_ON)
    assert [o.outcome for o in outcomes] == ["paid"] * 3
    assert set(states(db, ids).values()) == {"finance_paid"}
    done = batch_rows.get_batch(db, batch.id)
    assert done.state == "confirmed"
    assert {
        (li.status, li.bank_reference, li.paid_on, li.open_claim_id, li.paid_claim_id) for li in done.lines
    } == {("paid", "B20261127001", PAID_ON, None, li.claim_id) for li in done.lines}
    again = payouts.confirm_paid(db, c.finance, batch.id, "B20261127001", PAID_ON)
    assert [o.outcome for o in again] == ["already_paid"] * 3
    assert [pay_steps(db, i) for i in ids] == [1, 1, 1]


def test_single_lines_can_be_confirmed(db, c):
    ids = approved(db, c, 2)
    batch = batch_pool.create_batch(db, c.finance, ids)
    first = line_ids(db, batch.id)[0]
    assert [
        o.outcome for o in payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON, [first, 999999])
    ] == ["paid", "not_in_batch"]
    assert states(db, ids) == {ids[0]: "finance_paid", ids[1]: "hr_reviewed"}
    assert batch_rows.get_batch(db, batch.id).state == "open"


def test_the_reviewer_cannot_confirm_the_payment(db, c):
    own = transport_claim(db, c, approver=c.hr_finance)
    other = approved(db, c, 1)[0]
    batch = batch_pool.create_batch(db, c.finance, [own, other])
    outcomes = payouts.confirm_paid(db, c.hr_finance, batch.id, "B1", PAID_ON)
    assert [(o.claim_id, o.outcome) for o in outcomes] == [(own, "refused"), (other, "paid")]
    assert outcomes[0].code == "transition.separation_of_duties"
    assert states(db, [own]) == {own: "hr_reviewed"}
    assert [o.outcome for o in payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON)] == [
        "paid",
        "already_paid",
    ]


# --- failures --------------------------------------------------------------------------------


def test_a_failed_line_goes_back_to_the_pool_with_its_reason(db, c):
    ids = approved(db, c, 3)
    batch = batch_pool.create_batch(db, c.finance, ids)
    failed = line_ids(db, batch.id)[1]
    payouts.mark_failed(db, c.finance, failed, "户名与账号不符")
    outcomes = payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON)
    assert [o.outcome for o in outcomes] == ["paid", "not_pending", "paid"]
    assert batch_rows.get_batch(db, batch.id).state == "confirmed"
    assert states(db, ids)[ids[1]] == "hr_reviewed"
    with db.sessions() as s:
        assert [cl.id for cl in s.scalars(batch_pool.pool_query())] == [ids[1]]
        assert batch_pool.last_failures(s, [ids[1]]) == {ids[1]: "户名与账号不符"}
    again = batch_pool.create_batch(db, c.finance, [ids[1]])
    assert [o.outcome for o in payouts.confirm_paid(db, c.finance, again.id, "B2", PAID_ON)] == ["paid"]
    assert [pay_steps(db, i) for i in ids] == [1, 1, 1]


def test_a_paid_line_cannot_be_marked_failed(db, c):
    batch = batch_pool.create_batch(db, c.finance, approved(db, c, 1))
    payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON)
    with pytest.raises(InvalidTransition):
        payouts.mark_failed(db, c.finance, line_ids(db, batch.id)[0], "退票")


def test_a_failure_needs_a_reason(db, c):
    batch = batch_pool.create_batch(db, c.finance, approved(db, c, 1))
    with pytest.raises(ValidationFailed):
        payouts.mark_failed(db, c.finance, line_ids(db, batch.id)[0], "  ")


# --- crash and races -------------------------------------------------------------------------


def test_a_confirmation_that_crashed_half_way_is_safely_run_again(db, c, monkeypatch):
    ids = approved(db, c, 5)
    batch = batch_pool.create_batch(db, c.finance, ids)
    real, calls = payouts.step_in, []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        real(*args, **kwargs)
        if len(calls) == 3:  # after the line taken and the claim's pay step, before the commit
            raise RuntimeError("power cut")

    monkeypatch.setattr(payouts, "step_in", crash_on_third)
    with pytest.raises(RuntimeError):
        payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON)
    assert list(states(db, ids).values()) == ["finance_paid"] * 2 + ["hr_reviewed"] * 3
    monkeypatch.setattr(payouts, "step_in", real)
    outcomes = payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON)
    assert [o.outcome for o in outcomes] == ["already_paid"] * 2 + ["paid"] * 3
    assert set(states(db, ids).values()) == {"finance_paid"}
    assert [pay_steps(db, i) for i in ids] == [1] * 5


def race_confirmations(db, c, n_claims=6, threads=6):
    ids = approved(db, c, n_claims)
    batch = batch_pool.create_batch(db, c.finance, ids)
    barrier = threading.Barrier(threads)
    actors = [c.finance, c.finance2]

    def confirm(i):
        barrier.wait()
        return payouts.confirm_paid(db, actors[i % 2], batch.id, f"B{i}", PAID_ON)

    with ThreadPoolExecutor(threads) as pool:
        results = [o for outcomes in pool.map(confirm, range(threads)) for o in outcomes]
    paid = [o.claim_id for o in results if o.outcome == "paid"]
    assert sorted(paid) == sorted(ids), results
    assert {o.outcome for o in results} <= {"paid", "already_paid", "conflict"}
    assert set(states(db, ids).values()) == {"finance_paid"}
    assert [pay_steps(db, i) for i in ids] == [1] * n_claims
    with db.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(PayoutLine).where(PayoutLine.status == "paid"))
            == n_claims
        )
        assert s.get(PayoutBatch, batch.id).state == "confirmed"


def test_concurrent_confirmations_pay_each_claim_once(db, c):
    race_confirmations(db, c)


@pytest.mark.postgres
def test_concurrent_confirmations_pay_each_claim_once_on_postgres(db, c):
    race_confirmations(db, c, n_claims=20, threads=8)


# --- reconciliation --------------------------------------------------------------------------


def return_file(db, c, batch_id, fmt):
    """The bank's return file: the bank file with 状态 and 银行流水号, and injected faults."""
    rows = list(
        csv.reader(io.StringIO(payouts.bank_file(db, c.finance, batch_id, "csv").decode("utf-8-sig")))
    )
    header, lines = [*rows[0], "状态", "银行流水号"], [[*r, "成功", f"S{r[0]}"] for r in rows[1:]]
    lines[3][5] = "失败"
    lines[2][3] = "299.00"  # amount mismatch
    body = [
        lines[1],
        lines[1],
        lines[2],
        lines[3],
        ["9", "陌生人", "6222000000000000999", "100.00", "999999", "成功", "S9"],
    ]  # 1st line missing
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([header, *body])
        return "return.csv", out.getvalue().encode("gb18030")
    wb = openpyxl.Workbook()
    for r in [header, *body]:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return "return.xlsx", buf.getvalue()


def outcomes(result):
    return [(r.reference, r.row, r.outcome) for r in result.rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_return_file_changes_exactly_its_good_lines_and_lists_the_rest(db, c, fmt):
    ids = approved(db, c, 4)
    batch = batch_pool.create_batch(db, c.finance, ids)
    name, content = return_file(db, c, batch.id, fmt)
    payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON, line_ids(db, batch.id)[:2])
    result = import_return(db, c.finance, batch.id, name, content, PAID_ON)
    first = [
        (str(ids[1]), 2, "duplicate"),  # which of two rows is true is for a person to say
        (str(ids[1]), 3, "duplicate"),
        (str(ids[2]), 4, "flagged"),  # 299.00 where 300.00 was due: held for a decision
        (str(ids[3]), 5, "failed"),  # the bank's 失败: out of the batch, back to the pool
        ("999999", 6, "unknown"),
        (str(ids[0]), None, "absent_settled"),  # paid before, not in the file: nothing to do
    ]
    assert outcomes(result) == first and not result.clean and result.matched == 4
    lines = batch_rows.get_batch(db, batch.id).lines
    assert [li.status for li in lines] == ["paid", "paid", "pending", "failed"]
    assert lines[2].awaiting_decision and lines[3].failure_reason == "银行回单第5行：失败"
    assert states(db, ids)[ids[3]] == "hr_reviewed"
    assert [pay_steps(db, i) for i in ids] == [1, 1, 0, 0]

    again = import_return(db, c.finance, batch.id, name, content, PAID_ON)  # the same file again
    settled = {"flagged": "awaiting", "failed": "already_failed"}
    assert outcomes(again) == [(ref, row, settled.get(o, o)) for ref, row, o in first]
    assert [li.status for li in batch_rows.get_batch(db, batch.id).lines] == [
        "paid",
        "paid",
        "pending",
        "failed",
    ]
    assert [pay_steps(db, i) for i in ids] == [1, 1, 0, 0]


def test_the_bank_saying_failed_for_a_paid_line_is_listed_and_changes_nothing(db, c):
    ids = approved(db, c, 1)
    batch = batch_pool.create_batch(db, c.finance, ids)
    content = payouts.bank_file(db, c.finance, batch.id, "csv").decode("utf-8-sig")
    payouts.confirm_paid(db, c.finance, batch.id, "B1", PAID_ON)
    head, line = content.strip().split("\r\n")
    returned = f"{head},状态,银行流水号\r\n{line},失败,S1\r\n".encode()
    result = import_return(db, c.finance, batch.id, "r.csv", returned, PAID_ON)
    assert outcomes(result) == [(str(ids[0]), 2, "status_mismatch")]
    assert states(db, ids) == {ids[0]: "finance_paid"}


def test_a_return_file_without_the_columns_is_refused(db, c):
    batch = batch_pool.create_batch(db, c.finance, approved(db, c, 1))
    payouts.bank_file(db, c.finance, batch.id, "csv")
    with pytest.raises(ValidationFailed, match="缺少列"):
        import_return(db, c.finance, batch.id, "r.csv", "附言,金额\r\n1,2\r\n".encode(), PAID_ON)


# --- roster ----------------------------------------------------------------------------------


def test_roster_lines_mask_the_id_and_the_account(db, c):
    ids = [transport_claim(db, c), *approved(db, c, 2)]
    batch = batch_pool.create_batch(db, c.finance, ids)
    payouts.mark_failed(db, c.finance, line_ids(db, batch.id)[2], "退票")
    lines = batch_rows.roster_lines(db, batch.id)
    assert [li["amount"] for li in lines] == [Decimal("650.00"), Decimal("300.00")]
    first = lines[0]
    assert first["name"] == "扎西" and first["id_masked"].startswith("5334")
    assert "*" in first["id_masked"] and len(first["id_masked"]) == 18
    assert first["account_masked"] == "6217***********0123"
    assert lines[1]["id_masked"] == ""  # a labour broker without a credit code
    assert len(batch_rows.roster_lines(db, batch.id, include_failed=True)) == 3
