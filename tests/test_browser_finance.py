"""Finance's whole job in a real browser: tick claims (a running total), preview, make the batch,
export the bank file, import the bank's return file built from it (paid, failed, a wrong
amount held), import it again (nothing paid twice), and look up a paid claim; on an office
screen and on a phone."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest

from store.db import Database
from workflow.clock import FrozenClock

from .browser_support import (
    PHONE,
    csp_violations,
    needs_chromium,
    no_sideways_scroll,
    open_as,
    shot,
)
from .builders import county
from .builders_payouts import give_broker_an_account
from .live_server import live_server
from .test_payout_decisions import transport

pytestmark = needs_chromium
FARES = {"扎西": "800", "卓玛": "650", "次仁": "900"}


@pytest.fixture(scope="module")
def server():
    """Three approved transport subsidies, each paid to its person, on 20 November 2026."""
    clock = FrozenClock(datetime(2026, 11, 20, 10, 0))
    made: dict[str, int] = {}

    def prepare(db: Database) -> None:
        c = give_broker_an_account(db, county(db))
        made.update({name: transport(db, c, fare, name) for name, fare in FARES.items()})

    with live_server(prepare=prepare, clock=clock) as live:
        live.claims = made  # type: ignore[attr-defined]
        yield live


def bank_return(bank_csv: bytes, claims: dict[str, int]) -> bytes:
    """What the bank sends back: 扎西 paid, 卓玛 returned (户名不符), 次仁 paid 90 where 900 was due."""
    head, *rows = list(csv.reader(io.StringIO(bank_csv.decode("utf-8-sig"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*head, "状态", "银行流水号", "失败原因"])
    for r in rows:
        ref = r[4]
        if ref == str(claims["卓玛"]):
            writer.writerow([*r, "退票", "", "户名与账号不符"])
        elif ref == str(claims["次仁"]):
            writer.writerow([*r[:3], "90.00", ref, "成功", f"YH2026112000{r[0]}", ""])
        else:
            writer.writerow([*r, "成功", f"YH2026112000{r[0]}", ""])
    return out.getvalue().encode("gb18030")


def import_file(page, path: Path) -> None:
    page.set_input_files("#import-return input[name=file]", str(path))
    page.click("#import-return button")
    page.wait_for_selector("#import-result")


def test_finance_previews_batches_exports_imports_the_return_file_and_looks_up(server, browser, tmp_path):
    claims = server.claims
    page = open_as(browser, server, "finance1")
    page.goto(f"{server.url}/payouts")
    running = page.locator("#running")
    everything = page.locator("#pool thead input[type=checkbox]")  # 全选 (web/static/forms.js)
    everything.check()
    boxes = page.locator("input[name=ids]").count()
    assert page.locator("input[name=ids]:checked").count() == boxes >= 3
    assert running.locator("[data-n]").inner_text() == str(boxes)
    everything.uncheck()
    assert running.locator("[data-n]").inner_text() == "0"
    for claim_id in claims.values():
        page.check(f"input[name=ids][value='{claim_id}']")
    assert running.is_visible()
    assert running.locator("[data-n]").inner_text() == "3"
    assert running.locator("[data-payees]").inner_text() == "3"
    assert running.locator("[data-total]").inner_text() == "2350.00"
    shot(page, "finance-pool")
    assert csp_violations(page) == []  # payouts.js and forms.js ran under the policy

    page.click("text=预览所选申请")
    page.wait_for_url("**/payouts/preview?**")
    summary = page.locator("#summary")
    assert summary.locator("[data-count]").inner_text() == "3"
    assert summary.locator("[data-total]").inner_text() == "2350.00"
    assert "贰仟叁佰伍拾元整" in summary.inner_text()
    payees = page.locator("#payees").inner_text()
    assert "扎西" in payees and "6217***********0123" in payees and "6217000000000000123" not in payees
    shot(page, "finance-preview")

    page.click("#confirm-batch button")
    page.wait_for_selector("text=发放批次已生成")
    batch_url = page.url.split("?")[0]
    assert "2,350.00" in page.inner_text("#totals") or "2350.00" in page.inner_text("#totals")
    shot(page, "finance-batch")

    with page.expect_download() as download:
        page.click("a[href$='/bank-file/csv']")
    bank_csv = Path(download.value.path()).read_bytes()
    assert bank_csv.decode("utf-8-sig").count("\r\n") == 4  # the header and three lines
    returned = tmp_path / "回单.csv"
    returned.write_bytes(bank_return(bank_csv, claims))

    page.goto(batch_url)
    import_file(page, returned)
    result = page.locator("#import-rows")
    assert result.locator(f"tr[data-reference='{claims['扎西']}']").get_attribute("data-outcome") == "paid"
    assert result.locator(f"tr[data-reference='{claims['卓玛']}']").get_attribute("data-outcome") == "failed"
    assert result.locator(f"tr[data-reference='{claims['次仁']}']").get_attribute("data-outcome") == "flagged"
    assert "户名与账号不符" in page.inner_text("body") and "金额 90.00 元，应付 900.00 元" in page.inner_text(
        "body"
    )
    assert page.locator("#decide").is_visible()  # 次仁's line waits for finance's decision
    shot(page, "finance-import")

    page.goto(f"{server.url}/payouts")
    page.fill("#lookup + form input[name=q]", "YH")
    page.click("#lookup + form button")
    page.wait_for_url("**/payouts/lookup?**")
    row = page.locator(f"#found tr[data-claim='{claims['扎西']}']")
    assert "已发放" in row.inner_text() and "2026-11-20" in row.inner_text() and "800.00" in row.inner_text()
    assert page.locator(f"#found tr[data-claim='{claims['卓玛']}']").count() == 0  # no reference
    page.fill("input[name=q]", "卓玛")
    page.click("form[role=search] button")
    page.wait_for_selector(f"#found tr[data-claim='{claims['卓玛']}']")
    assert "户名与账号不符" in page.inner_text("#found")
    page.fill("input[name=q]", str(claims["扎西"]))
    page.click("form[role=search] button")
    page.wait_for_selector(f"#found tr[data-claim='{claims['扎西']}']")
    shot(page, "finance-lookup")
    page.context.close()

    phone = open_as(browser, server, "finance1", viewport=PHONE)
    phone.goto(batch_url)
    import_file(phone, returned)  # the same file again: nothing is paid twice
    outcomes = phone.locator("#import-rows tr[data-outcome]").evaluate_all(
        "rows => rows.map(r => r.dataset.outcome)"
    )
    assert outcomes == ["already_paid", "already_failed", "awaiting"]
    no_sideways_scroll(phone)
    shot(phone, "finance-import-phone")
    phone.goto(f"{server.url}/payouts")
    phone.check(f"input[name=ids][value='{claims['卓玛']}']")  # returned by the bank: back in the pool
    assert phone.locator("#running [data-total]").inner_text() == "650.00"
    no_sideways_scroll(phone)
    shot(phone, "finance-pool-phone")
    phone.click("text=预览所选申请")
    phone.wait_for_selector("#confirm-batch")
    no_sideways_scroll(phone)
    shot(phone, "finance-preview-phone")
    phone.goto(f"{server.url}/payouts/lookup?q={claims['扎西']}")
    no_sideways_scroll(phone)
    shot(phone, "finance-lookup-phone")
    phone.context.close()
