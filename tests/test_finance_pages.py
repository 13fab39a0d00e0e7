"""Finance's whole job from the pages: a batch previewed (payees, masked accounts, total) and made
exactly as previewed, or the new preview when the pool changed meanwhile; the bank's return file
imported (paid with the bank's serial, failed with its reason, a wrong amount held), twice
without paying twice, a partly bad file changing exactly its good lines; a payment looked up."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from store.models import Claim, ClaimHistory, Person
from store.payouts import batch_pool, batch_rows
from store.payouts.models import PayoutBatch

from .builders import claim_in, county
from .builders_payouts import ORG_ACCOUNT, give_broker_an_account
from .page_support import csrf_of, sign_in
from .test_payout_decisions import transport

FARES = (("800", "扎西"), ("650", "卓玛"), ("900", "次仁"))
LINE = re.compile(r'name="line" value="([^"]+)"')
OUTCOME = re.compile(r'data-outcome="(\w+)" data-reference="([^"]*)"')


@pytest.fixture
def c(db, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    clock.current = datetime(2026, 11, 20, 10, 0)
    return give_broker_an_account(db, county(db))


@pytest.fixture
def finance(db, c):
    return sign_in(db, "finance1")


def preview(browser, ids):
    return browser.get("/payouts/preview", params={"ids": [str(i) for i in ids]})


def confirm(browser, page):
    """Press 确认生成批次 on a preview page: its form as it stands, nothing more."""
    form = page.text.split('id="confirm-batch"')[1].split("</form>")[0]
    seen = dict(re.findall(r'name="(seen_count|seen_total)" value="([^"]*)"', form))
    data = {"line": LINE.findall(form), **seen, "_csrf_token": csrf_of(page.text)}
    return browser.client.post("/payouts", data=data, follow_redirects=False)


def batches(db) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(PayoutBatch))


def state_of(db, claim_id) -> str:
    with db.sessions() as s:
        return s.get_one(Claim, claim_id).state


def pay_steps(db, claim_id) -> int:
    with db.sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "pay")
        )


def made(browser, ids) -> int:
    r = confirm(browser, preview(browser, ids))
    assert r.status_code == 303, r.text
    return int(re.fullmatch(r"/payouts/(\d+)\?done=created", r.headers["location"]).group(1))


def return_file(browser, batch_id, changes=None, fmt="csv", extra=()) -> tuple[str, bytes]:
    """The bank's return file: the bank file as downloaded, each row 成功 with serial YH<claim>,
    then ``changes`` per claim number (any column: 状态, 金额, 银行流水号, 失败原因, 交易日期)."""
    sent = browser.get(f"/payouts/{batch_id}/bank-file/csv")
    assert sent.status_code == 200, sent.text
    head, *rows = list(csv.reader(io.StringIO(sent.content.decode("utf-8-sig"))))
    header = [*head, "状态", "银行流水号", "失败原因", "交易日期"]
    body = []
    for r in rows:
        row = dict(zip(header, [*r, "成功", f"YH{r[4]}", "", ""], strict=True))
        row.update((changes or {}).get(r[4], {}))
        body.append([row[h] for h in header])
    body += [list(e) for e in extra]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([header, *body])
        return "回单.csv", out.getvalue().encode("gb18030")
    wb = openpyxl.Workbook()
    for r in [header, *body]:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return "回单.xlsx", buf.getvalue()


def upload(browser, batch_id, file, paid_on="2026-11-20"):
    page = browser.get(f"/payouts/{batch_id}").text
    return browser.client.post(
        f"/payouts/{batch_id}/reconcile",
        files={"file": (file[0], file[1], "application/octet-stream")},
        data={"_csrf_token": csrf_of(page), "paid_on": paid_on},
    )


def outcomes(page) -> list[tuple[str, str]]:
    return OUTCOME.findall(page.split('id="import-rows"')[1].split("</table>")[0])


def lines_of(db, batch_id):
    return {li.claim_id: li for li in batch_rows.get_batch(db, batch_id).lines}


# --- 1. the preview, and the batch made from it ---------------------------------------------


def test_the_preview_shows_payees_and_total_and_the_batch_made_equals_it(db, c, finance):
    broker = [claim_in(db, c, "hr_reviewed").id for _ in range(2)]  # paid to the labour broker
    zhaxi = transport(db, c, "650", "扎西")  # paid to the person
    pool = finance.get("/payouts").text
    assert 'action="/payouts/preview"' in pool and 'data-fen="65000"' in pool

    page = preview(finance, [*broker, zhaxi])
    assert page.status_code == 200 and batches(db) == 0  # a preview writes nothing
    with db.sessions() as s:
        total = sum(s.get_one(Claim, i).amount for i in [*broker, zhaxi])
    summary = page.text.split('id="summary"')[1]
    assert "data-count>3<" in summary and "data-payees>2<" in summary
    assert f"data-total>{total:.2f}<" in summary and f"确认生成批次（3笔，合计{total:.2f}元）" in summary
    payees = page.text.split('id="payees"')[1].split("</table>")[0]
    assert "6222***********3445" in payees and "6217***********0123" in payees and "扎西" in payees
    assert ORG_ACCOUNT not in page.text and "6217000000000000123" not in page.text  # masked only
    back = page.text.split("返回修改选择")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    ticked = finance.get(back).text  # 返回修改选择: the pool with the same claims ticked
    assert all(re.search(rf'value="{i}"[^>]* checked', ticked) for i in [*broker, zhaxi])

    r = confirm(finance, page)
    assert r.status_code == 303
    batch = batch_rows.get_batch(db, int(r.headers["location"].split("/")[2].split("?")[0]))
    assert (batch.line_count, batch.total_amount) == (3, total)
    assert sorted(li.claim_id for li in batch.lines) == sorted([*broker, zhaxi])
    per_payee = {p["payee"]: (p["lines"], p["amount"]) for p in batch.payee_totals["payees"]}
    assert per_payee["扎西"] == (1, "650.00") and sum(n for n, _ in per_payee.values()) == 3
    again = confirm(finance, page)  # the same preview confirmed twice: the claims are batched
    assert again.status_code == 409 and "已不在待发放池" in again.text and batches(db) == 1


def test_a_claim_batched_by_someone_else_between_preview_and_confirm_shows_the_new_preview(db, c, finance):
    first, second = transport(db, c, "800", "扎西"), transport(db, c, "650", "卓玛")
    page = preview(finance, [first, second])
    batch_pool.create_batch(db, c.finance, [first])  # a colleague, meanwhile

    r = confirm(finance, page)
    assert r.status_code == 409 and batches(db) == 1  # nothing made from the stale preview
    alert = r.text.split('id="changed"')[1].split("</div>")[0]
    assert "批次未生成" in alert and f"/claims/{first}" in alert
    assert "您确认的预览：2笔，合计1450.00元；现在：1笔，合计650.00元" in alert
    assert LINE.findall(r.text) == [f"{second}:{LINE.findall(page.text)[1].split(':')[1]}"]
    retry = confirm(finance, r)  # the new preview, confirmed
    assert retry.status_code == 303 and batches(db) == 2
    assert [li.claim_id for li in batch_rows.get_batch(db, 2).lines] == [second]


def test_a_payee_account_changed_after_the_preview_is_never_paid_silently(db, c, finance):
    claim_id = transport(db, c, "800", "扎西")
    page = preview(finance, [claim_id])
    assert "6217***********0123" in page.text
    with db.transaction() as s:
        person = s.get_one(Person, s.get_one(Claim, claim_id).person_id)
        person.bank_account_enc, person.bank_last4 = db.vault.encrypt("6228480000000009876"), "9876"

    r = confirm(finance, page)
    assert r.status_code == 409 and batches(db) == 0
    assert "收款人、账号或金额有变化" in r.text and "有变化" in r.text.split('id="lines"')[1]
    assert "6228***********9876" in r.text.split('id="lines"')[1]
    assert confirm(finance, r).status_code == 303
    assert batch_rows.get_batch(db, 1).lines[0].account_last4 == "9876"


def test_a_selection_without_a_bank_account_is_shown_and_left_out(db, c, finance):
    payable = transport(db, c, "800", "扎西")
    no_account = claim_in(db, c, "hr_reviewed").id
    with db.transaction() as s:
        org = s.get_one(Claim, no_account).claimant
        org.bank_account_enc = org.bank_last4 = None
    page = preview(finance, [payable, no_account])
    assert "未登记银行账号" in page.text.split('id="left-out"')[1].split("</div>")[0]
    assert [li.split(":")[0] for li in LINE.findall(page.text)] == [str(payable)]
    assert preview(finance, []).status_code == 422


# --- 2. the bank's return file ---------------------------------------------------------------


def test_the_return_file_pays_fails_and_holds_in_one_go_and_twice_pays_nothing_twice(db, c, finance):
    paid, failed, short = (transport(db, c, fare, name) for fare, name in FARES)
    batch_id = made(finance, [paid, failed, short])
    file = return_file(
        finance,
        batch_id,
        {
            str(failed): {"状态": "失败", "银行流水号": "", "失败原因": "户名与账号不符"},
            str(short): {"金额": "90.00"},
        },
    )
    r = upload(finance, batch_id, file)
    assert r.status_code == 200, r.text
    assert outcomes(r.text) == [("paid", str(paid)), ("failed", str(failed)), ("flagged", str(short))]
    assert "本次确认发放1笔，标记失败1笔，金额不符待决定1笔" in r.text
    lines = lines_of(db, batch_id)
    assert (lines[paid].status, lines[paid].bank_reference, lines[paid].paid_on) == (
        "paid",
        f"YH{paid}",
        date(2026, 11, 20),
    )
    assert lines[failed].status == "failed" and "户名与账号不符" in lines[failed].failure_reason
    assert lines[short].awaiting_decision and "金额 90.00 元，应付 900.00 元" in lines[short].flag_reason
    assert [state_of(db, i) for i in (paid, failed, short)] == ["finance_paid", "hr_reviewed", "hr_reviewed"]
    pool = finance.get("/payouts").text
    assert f'name="ids" value="{failed}"' in pool and "户名与账号不符" in pool  # back in the pool
    assert f'action="/payouts/{batch_id}/lines/{lines[short].id}/decide"' in r.text  # the decision

    again = upload(finance, batch_id, file)
    assert outcomes(again.text) == [
        ("already_paid", str(paid)),
        ("already_failed", str(failed)),
        ("awaiting", str(short)),
    ]
    assert "本次确认发放0笔，标记失败0笔，金额不符待决定0笔" in again.text
    after = lines_of(db, batch_id)
    assert [(li.status, li.updated_at) for li in after.values()] == [
        (li.status, li.updated_at) for li in lines.values()
    ]
    assert [pay_steps(db, i) for i in (paid, failed, short)] == [1, 0, 0]


def test_the_bank_s_date_and_an_xlsx_file_are_taken(db, c, finance):
    claim_id = transport(db, c, "800", "扎西")
    batch_id = made(finance, [claim_id])
    file = return_file(finance, batch_id, {str(claim_id): {"交易日期": "2026/11/19"}}, fmt="xlsx")
    r = upload(finance, batch_id, file, paid_on="2026-11-20")
    assert outcomes(r.text) == [("paid", str(claim_id))]
    assert lines_of(db, batch_id)[claim_id].paid_on == date(2026, 11, 19)
    assert batch_rows.get_batch(db, batch_id).state == "confirmed"  # nothing left pending


def test_a_partly_bad_file_changes_exactly_its_good_lines(db, c, finance):
    good, no_serial, bad_date, twice = (transport(db, c, "800", n) for n in ("扎西", "卓玛", "次仁", "拉姆"))
    batch_id = made(finance, [good, no_serial, bad_date, twice])
    name, content = return_file(
        finance,
        batch_id,
        {str(no_serial): {"银行流水号": ""}, str(bad_date): {"交易日期": "十一月"}},
        extra=[["9", "陌生人", "6222000000000000999", "100.00", "999999", "成功", "S9", "", ""]],
    )
    rows = list(csv.reader(io.StringIO(content.decode("gb18030"))))
    rows.append(next(r for r in rows if r[4] == str(twice)))  # the same reference on two rows
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    r = upload(finance, batch_id, (name, out.getvalue().encode("gb18030")))
    assert r.status_code == 200
    assert outcomes(r.text) == [
        ("paid", str(good)),
        ("no_serial", str(no_serial)),
        ("bad_date", str(bad_date)),
        ("duplicate", str(twice)),
        ("unknown", "999999"),
        ("duplicate", str(twice)),
    ]
    assert "须核实的行未作任何更改" in r.text
    lines = lines_of(db, batch_id)
    assert lines[good].status == "paid"
    for i in (no_serial, bad_date, twice):  # untouched: pending, not held, confirmable by hand
        assert (lines[i].status, lines[i].flagged_at, state_of(db, i)) == ("pending", None, "hr_reviewed")


def test_a_file_that_cannot_be_read_or_a_batch_not_yet_sent_changes_nothing(db, c, finance):
    unsent_claim = transport(db, c, "650", "卓玛")
    unsent = made(finance, [unsent_claim])
    assert "导出银行文件后，可在此导入银行回单" in finance.get(f"/payouts/{unsent}").text
    r = upload(finance, unsent, hand_made_return(unsent_claim))
    assert r.status_code == 409 and "尚未导出银行文件" in r.text

    claim_id = transport(db, c, "800", "扎西")
    batch_id = made(finance, [claim_id])
    good = return_file(finance, batch_id)
    r = upload(finance, batch_id, ("回单.csv", "附言,金额\r\n1,2\r\n".encode()))
    assert r.status_code == 422 and "缺少列" in r.text
    r = upload(finance, batch_id, ("回单.xlsx", good[1]))  # a CSV named .xlsx
    assert r.status_code == 422 and "无法读取该 Excel 文件" in r.text
    assert [li.status for li in lines_of(db, batch_id).values()] == ["pending"]
    assert [li.status for li in lines_of(db, unsent).values()] == ["pending"]


def test_a_mismatched_amount_waits_for_finance_s_decision(db, c, finance):
    claim_id = transport(db, c, "800", "扎西")
    batch_id = made(finance, [claim_id])
    r = upload(finance, batch_id, return_file(finance, batch_id, {str(claim_id): {"金额": "80.00"}}))
    assert outcomes(r.text) == [("flagged", str(claim_id))] and "金额不符，待决定" in r.text
    line = lines_of(db, batch_id)[claim_id]
    decided = finance.submit(
        f"/payouts/{batch_id}",
        f"/payouts/{batch_id}/lines/{line.id}/decide",
        {"decision": "bank_amount", "note": "经与银行核实，实付80元", "paid_on": "2026-11-20"},
    )
    assert decided.status_code == 303
    line = lines_of(db, batch_id)[claim_id]
    assert (line.status, line.paid_amount, line.bank_reference) == ("paid", Decimal("80.00"), f"YH{claim_id}")
    again = upload(finance, batch_id, hand_made_return(claim_id))
    assert outcomes(again.text) == [("already_paid", str(claim_id))] and pay_steps(db, claim_id) == 1


def hand_made_return(claim_id, amount="80.00") -> tuple[str, bytes]:
    """A one-row return file written by hand (a settled batch offers no bank file to start from)."""
    header = "序号,收款人,收款账号,金额,附言,状态,银行流水号\r\n"
    row = f"1,扎西,6217000000000000123,{amount},{claim_id},成功,YH{claim_id}\r\n"
    return "回单.csv", (header + row).encode()


# --- 3. the look-up of a payment -------------------------------------------------------------


def test_finance_looks_up_a_paid_claim_by_number_name_or_bank_reference(db, c, finance):
    paid, failed = transport(db, c, "800", "扎西"), transport(db, c, "650", "卓玛")
    batch_id = made(finance, [paid, failed])
    bounced = {str(failed): {"状态": "退票", "失败原因": "账户冻结"}}
    upload(finance, batch_id, return_file(finance, batch_id, bounced))
    reference = batch_rows.get_batch(db, batch_id).reference
    for q in (str(paid), "扎西", f"YH{paid}", f"h{paid}"):
        page = finance.get("/payouts/lookup", params={"q": q}).text
        found = page.split('id="found"')[1].split("</table>")[0]
        row = found.split(f'data-claim="{paid}"')[1].split("</tr>")[0]
        assert reference in row and f"/payouts/{batch_id}" in row and "800.00" in row, q
        assert "2026-11-20" in row and f"YH{paid}" in row and "已发放" in row and "尾号0123" in row
        assert f'data-claim="{failed}"' not in found, q
    failed_row = finance.get("/payouts/lookup", params={"q": "卓玛"}).text
    assert "发放失败" in failed_row and "账户冻结" in failed_row
    only_paid = finance.get("/payouts/lookup", params={"q": "卓玛", "paid": "true"}).text
    assert "没有找到相符的发放明细" in only_paid
    assert "没有找到" in finance.get("/payouts/lookup", params={"q": "100%_"}).text
    assert 'action="/payouts/lookup"' in finance.get("/payouts").text


def test_the_finance_pages_come_out_in_english_for_a_user_who_chose_it(db, c, finance):
    paid, failed = transport(db, c, "800", "扎西"), transport(db, c, "650", "卓玛")
    finance.get("/lang/en")
    page = preview(finance, [paid, failed])
    assert "Confirm and make the batch (2 lines, 1450.00 yuan)" in page.text
    assert "确认生成批次" not in page.text and "收款人" not in page.text
    batch_id = made(finance, [paid, failed])
    r = upload(finance, batch_id, return_file(finance, batch_id, {str(failed): {"状态": "失败"}}))
    assert "Return file imported" in r.text and "Confirmed paid now: 1; marked failed: 1" in r.text
    assert "回单导入结果" not in r.text and "已标记失败" not in r.text
    lookup = finance.get("/payouts/lookup", params={"q": "扎西"}).text
    assert "Look up a payment" in lookup and "payout lines found" in lookup and "查询发放记录" not in lookup
