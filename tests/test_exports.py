"""Excel exports (导出Excel): each list as its page shows it to the user (scope, filters, every
page), under a title row saying who exported it and when, with Chinese headers, ID and bank
numbers masked, money as numbers in 0.00, dates as dates, and no cell Excel reads as a formula."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from printing.workbook import Book, Column, Sheet, workbook_bytes
from store.contracts.lifecycle import ContractInput, propose_contract, renew_contract
from store.contracts.posts import PostInput, create_post
from store.models import Claim, Contract, Person
from store.payouts import batch_pool
from store.people.register import OrganisationInput, register_organisation
from store.transitions import transition
from tests.builders import add_admin, claim_in, county, export_claim, person
from tests.builders_payouts import ORG_ACCOUNT, give_payee_an_account
from tests.builders_posts import active_contract
from tests.conftest import TEST_NOW
from tests.page_support import sign_in

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

HOSTILE = ('=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1")


def xml_of(content: bytes) -> str:
    """Every XML part of the workbook, joined: what a reader of the file finds in it."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def no_formula_anywhere(content: bytes) -> None:
    wb = load_workbook(io.BytesIO(content))
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert "<f>" not in xml_of(content) and "<f " not in xml_of(content)


def table(content: bytes, sheet: str) -> tuple[list[str], list[tuple], list]:
    """The sheet's title lines, its header and data rows (values), and its data cells."""
    ws = load_workbook(io.BytesIO(content))[sheet]
    rows = list(ws.iter_rows())
    at = next(i for i, r in enumerate(rows) if r[0].font.b and i > 0)  # the header row, bold
    titles = [r[0].value for r in rows[:at]]
    header = [c.value for c in rows[at]]
    return titles, [header, *[tuple(c.value for c in r) for r in rows[at + 1 :]]], rows[at + 1 :]


def column(rows: list[tuple], name: str) -> list:
    i = rows[0].index(name)
    return [r[i] for r in rows[1:]]


def cells(data: list, rows: list[tuple], name: str) -> list:
    i = rows[0].index(name)
    return [r[i] for r in data]


# --- the writer ------------------------------------------------------------------------------


def test_text_that_looks_like_a_formula_stays_text_and_is_quote_prefixed() -> None:
    content = workbook_bytes(
        Book(
            "测试",
            "=出纳",
            datetime(2026, 11, 28, 10),
            [
                Sheet(
                    "=表",
                    [Column("备注"), Column("编号", "int")],
                    [(text, i) for i, text in enumerate(HOSTILE)],
                )
            ],
        )
    )
    no_formula_anywhere(content)
    _, rows, data = table(content, "=表")
    # The text is kept behind the single quote (XML reads a carriage return as a line feed).
    assert column(rows, "备注") == ["'" + text.replace("\r", "\n") for text in HOSTILE]
    assert all(c[0].data_type == "s" and c[0].quotePrefix for c in data)
    assert load_workbook(io.BytesIO(content))["=表"]["A2"].value.startswith("导出人：=出纳")


def test_money_is_an_exact_number_in_0_00_dates_are_dates_and_numbers_are_masked() -> None:
    columns = [
        Column("金额（元）", "money"),
        Column("日期", "date"),
        Column("时间", "datetime"),
        Column("身份证号", "id_number"),
        Column("银行账号", "bank_account"),
        Column("比例", "percent"),
    ]
    row = (
        Decimal("0.10") + Decimal("0.20"),
        date(2026, 11, 27),
        datetime(2026, 11, 28, 9, 30),
        "533422199001010014",
        "6217000000000000123",
        Decimal("0.5"),
    )
    content = workbook_bytes(Book("测试", "hr1", TEST_NOW, [Sheet("表", columns, [row, (None,) * 5 + (1,)])]))
    _, rows, data = table(content, "表")
    money, day, moment, id_cell, bank, ratio = data[0]
    assert (money.data_type, money.number_format, money.value) == ("n", "0.00", 0.3)
    assert "<v>0.3</v>" in xml_of(content)  # written from the Decimal: no binary noise (0.30000000000000004)
    assert (day.is_date, day.number_format, day.value.date()) == (True, "yyyy-mm-dd", date(2026, 11, 27))
    assert (moment.is_date, moment.value) == (True, datetime(2026, 11, 28, 9, 30))
    assert id_cell.value == "5334**********0014" and bank.value == "6217***********0123"
    assert (ratio.number_format, ratio.value) == ("0.0%", 0.5)
    assert "533422199001010014" not in xml_of(content) and "6217000000000000123" not in xml_of(content)
    assert rows[2] == (None,) * 5 + (1,)  # nothing is an empty cell, not an empty text
    with pytest.raises(TypeError):
        workbook_bytes(Book("测试", "hr1", TEST_NOW, [Sheet("表", [Column("金额", "money")], [(0.1,)])]))


# --- the inbox ---------------------------------------------------------------------------------


def test_the_inbox_export_has_every_page_of_the_users_own_village_masked_and_formula_safe(db) -> None:
    c = county(db)
    mine = [export_claim(db, c, person(db, c.village, name=f"卓玛{i:02d}")).id for i in range(52)]
    hostile = export_claim(db, c, person(db, c.village, name=HOSTILE[0][:40])).id
    other = export_claim(db, c, person(db, c.other_village, name="次仁")).id
    with db.sessions() as s:
        full_id = db.vault.decrypt(s.get(Person, s.get(Claim, hostile).person_id).id_number_enc)

    r = sign_in(db, "village1").get("/exports/inbox")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"] and r.headers["cache-control"] == "no-store"
    no_formula_anywhere(r.content)
    titles, rows, data = table(r.content, "待办申请")
    assert titles[1] == "导出人：village1　导出时间：2026-11-28 10:00" and "范围：阿东村" in titles
    assert rows[0] == [
        "编号",
        "姓名",
        "身份证号",
        "行政村",
        "补贴类型",
        "金额（元）",
        "状态",
        "办理期限",
        "是否逾期",
    ]
    ids = column(rows, "编号")
    assert sorted(ids) == sorted([*mine, hostile]) and other not in ids  # all pages (the page shows 50)
    assert set(column(rows, "行政村")) == {"阿东村"}
    assert full_id not in xml_of(r.content)
    assert column(rows, "身份证号")[ids.index(hostile)] == "*" * 14 + full_id[-4:]
    assert column(rows, "姓名")[ids.index(hostile)] == "'" + HOSTILE[0][:40]
    money = cells(data, rows, "金额（元）")
    assert {(m.data_type, m.number_format) for m in money} == {("n", "0.00")}
    assert {m.value for m in money} == {300}
    assert all(d.is_date for d in cells(data, rows, "办理期限"))

    hr = sign_in(db, "hr1").get("/exports/inbox")  # HR waits on verified claims: none yet
    assert column(table(hr.content, "待办申请")[1], "编号") == []


def test_the_inbox_export_keeps_the_pages_filters(db) -> None:
    c = county(db)
    named = export_claim(db, c, person(db, c.village, name="格桑")).id
    for i in range(3):
        export_claim(db, c, person(db, c.village, name=f"卓玛{i}"))
    verified = claim_in(db, c, "village_verified").id
    hr = sign_in(db, "hr1")
    titles, rows, _ = table(hr.get("/exports/inbox?status=village_verified").content, "待办申请")
    assert column(rows, "编号") == [verified] and "筛选条件：状态：村级已核实" in titles
    village = sign_in(db, "village1")
    _, rows, _ = table(village.get("/exports/inbox?q=%E6%A0%BC%E6%A1%91&cursor=bogus").content, "待办申请")
    assert column(rows, "编号") == [named]  # the search kept, the page's cursor ignored
    titles, rows, _ = table(village.get("/exports/inbox?q=%E6%A0%BC").content, "待办申请")
    assert len(column(rows, "编号")) == 4 and any("至少输入两个字" in t for t in titles)
    elsewhere = export_claim(db, c, person(db, c.other_village, name="次仁")).id
    _, rows, _ = table(village.get(f"/exports/inbox?village={c.other_village}").content, "待办申请")
    assert column(rows, "编号") == []  # a filter never widens the scope
    assert elsewhere in column(
        table(sign_in(db, "village2").get("/exports/inbox").content, "待办申请")[1], "编号"
    )


def test_a_list_longer_than_the_cap_says_so(db, monkeypatch) -> None:
    from store.exports import common, lists

    c = county(db)
    for i in range(4):
        export_claim(db, c, person(db, c.village, name=f"卓玛{i}"))
    monkeypatch.setattr(common, "EXPORT_CAP", 3)
    monkeypatch.setattr(lists, "EXPORT_CAP", 3)
    titles, rows, _ = table(sign_in(db, "village1").get("/exports/inbox").content, "待办申请")
    assert len(rows) == 4 and any("只导出了前3条" in t for t in titles)


# --- contracts ---------------------------------------------------------------------------------


def test_the_contracts_export_is_scoped_masked_and_shows_a_proposed_renewal_as_pending(db, c, clock) -> None:
    ending = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="卓玛", monthly="812.50")
    renew_contract(db, c.hr, ending.id)
    elsewhere = person(db, c.other_village, name="次仁")
    with db.transaction() as s:
        post = create_post(s, c.hr, PostInput(c.other_village, "护林员", Decimal("900")))
        term = ContractInput(post.id, elsewhere, date(2027, 1, 1), date(2027, 12, 31))
        other = propose_contract(s, db, c.hr, term)
    with db.sessions() as s:
        full_id = db.vault.decrypt(s.get(Contract, ending.id).person.id_number_enc)

    r = sign_in(db, "village1").get("/exports/contracts")
    no_formula_anywhere(r.content)
    titles, rows, data = table(r.content, "协议")
    ids = column(rows, "编号")
    assert ending.id in ids and other.id not in ids and "范围：阿东村" in titles
    line = dict(zip(rows[0], rows[1 + ids.index(ending.id)], strict=True))
    assert line["续签"] == "续签待审" and line["状态"] == "履约中" and line["身份证号"].endswith(full_id[-4:])
    assert full_id not in xml_of(r.content)
    subsidy = cells(data, rows, "月补贴（元）")[ids.index(ending.id)]
    assert (subsidy.value, subsidy.number_format) == (812.5, "0.00")
    assert cells(data, rows, "开始日期")[0].is_date
    _, soon, _ = table(r.content, "30天内到期")
    assert column(soon, "编号") == [ending.id] and column(soon, "续签") == ["续签待审"]
    assert column(soon, "剩余天数") == [22]
    _, posts, _ = table(r.content, "岗位")
    assert len(posts) > 1 and set(column(posts, "行政村")) == {"阿东村"}

    mine_only = sign_in(db, "village1").get(f"/exports/contracts?village={c.other_village}")
    assert column(table(mine_only.content, "协议")[1], "编号") == []  # a filter never widens the scope
    hr = sign_in(db, "hr1").get(f"/exports/contracts?status=submitted&village={c.other_village}")
    assert column(table(hr.content, "协议")[1], "编号") == [other.id]


# --- payouts -----------------------------------------------------------------------------------


def test_finance_exports_batches_and_a_batchs_lines_with_accounts_masked(db, c) -> None:
    claims = [claim_in(db, c, "hr_reviewed").id for _ in range(2)]
    for cid in claims:
        give_payee_an_account(db, cid)
    batch = batch_pool.create_batch(db, c.finance, claims)
    waiting = claim_in(db, c, "hr_reviewed").id

    finance = sign_in(db, "finance1")
    r = finance.get("/exports/payouts")
    no_formula_anywhere(r.content)
    _, batches, data = table(r.content, "发放批次")
    assert column(batches, "批次号") == [batch.reference] and column(batches, "笔数") == [2]
    total = cells(data, batches, "总金额（元）")[0]
    assert (total.value, total.number_format) == (float(batch.total_amount), "0.00")
    assert column(table(r.content, "待发放的补贴")[1], "编号") == [waiting]

    r = finance.get(f"/exports/payouts/{batch.id}")
    no_formula_anywhere(r.content)
    titles, lines, _ = table(r.content, "发放明细")
    assert column(lines, "申请编号") == claims and titles[0] == f"发放批次{batch.reference}：发放明细"
    assert set(column(lines, "收款账号")) == {"6222***********3445"} and ORG_ACCOUNT not in xml_of(r.content)
    _, totals, _ = table(r.content, "控制总数")
    due = dict(zip(column(totals, "项目"), column(totals, "金额（元）"), strict=True))["应发合计"]
    assert Decimal(str(due)) == batch.total_amount
    assert column(table(r.content, "收款人汇总")[1], "账号末4位") == ["3445"]

    assert sign_in(db, "hr1").get(f"/exports/payouts/{batch.id}").status_code == 403
    assert sign_in(db, "village1").get("/exports/payouts").status_code == 403
    assert finance.get("/exports/payouts/99999").status_code == 404


# --- the dashboard and the register ------------------------------------------------------------


def test_the_dashboard_export_has_a_sheet_per_table_for_the_users_scope(db, c) -> None:
    export_claim(db, c, person(db, c.village))
    export_claim(db, c, person(db, c.other_village, name="次仁"))
    r = sign_in(db, "village1").get("/exports/dashboard")
    no_formula_anywhere(r.content)
    names = load_workbook(io.BytesIO(r.content)).sheetnames
    assert {
        "就业率",
        "近12个月就业趋势",
        "补贴申请按类型和状态",
        "资金按行政村",
        "逾期事项",
        "30天内到期的协议",
    } <= set(names)
    titles, claims, data = table(r.content, "补贴申请按类型和状态")
    assert "范围：阿东村" in titles
    assert column(claims, "件数") == [1] and cells(data, claims, "金额（元）")[0].number_format == "0.00"
    assert column(table(r.content, "资金按行政村")[1], "行政村") == ["阿东村"]
    _, county_claims, _ = table(sign_in(db, "hr1").get("/exports/dashboard").content, "补贴申请按类型和状态")
    assert column(county_claims, "件数") == [2]


def test_the_register_export_masks_bank_accounts_and_is_for_hr_and_the_admin(db, c) -> None:
    admin = add_admin(db)
    register_organisation(
        db,
        admin,
        OrganisationInput(name="=德钦县帮扶车间", kind="workshop", bank_account="6228480000000000019"),
    )
    r = sign_in(db, "hr1").get("/exports/organisations?kind=workshop")
    no_formula_anywhere(r.content)
    titles, rows, _ = table(r.content, "申报单位")
    assert column(rows, "单位名称") == ["'=德钦县帮扶车间"] and "筛选条件：单位类型：就业帮扶车间" in titles
    assert column(rows, "银行账号") == ["****0019"] and "6228480000000000019" not in xml_of(r.content)
    assert sign_in(db, "village1").get("/exports/organisations").status_code == 403
    assert sign_in(db, "finance1").get("/exports/organisations").status_code == 403


def test_each_page_links_to_its_export_with_its_filters(db, c) -> None:
    hr = sign_in(db, "hr1")
    assert 'href="/exports/inbox?status=village_verified"' in hr.get("/inbox?status=village_verified").text
    assert (
        'href="/exports/contracts?status=active&amp;village=1"'
        in hr.get("/contracts?status=active&village=1").text
    )
    assert 'href="/exports/dashboard"' in hr.get("/dashboard").text
    assert 'href="/exports/organisations?q=x"' in hr.get("/organisations?q=x").text
    assert 'href="/exports/payouts"' in sign_in(db, "finance1").get("/payouts").text
    assert "导出Excel" in hr.get("/dashboard").text


def test_a_step_taken_after_the_export_is_not_in_an_earlier_file(db, c) -> None:
    """The export reads the list when asked, like the page: a claim verified since leaves it."""
    claim = export_claim(db, c, person(db, c.village)).id
    village = sign_in(db, "village1")
    assert column(table(village.get("/exports/inbox").content, "待办申请")[1], "编号") == [claim]
    transition(db, "claim", claim, "verify", c.verifier)
    assert column(table(village.get("/exports/inbox").content, "待办申请")[1], "编号") == []


def test_a_bulk_lists_result_file_writes_back_what_the_agent_typed_as_text() -> None:
    """The result file of an uploaded list echoes the agent's cells: a cell or a file name that
    reads like a formula comes back as those characters, never as a formula."""
    from workflow.lists.result import result_workbook_bytes

    content = result_workbook_bytes(
        ["姓名", "=备注"],
        [
            {"row": 2, "cells": [HOSTILE[0], "+1"], "status": "refused", "errors": [("name", "c", "=x")]},
            {"row": 3, "cells": ["-2+3", "@A1"], "status": "accepted", "claim_id": 7, "amount": "300.00"},
        ],
        filename="=清单.xlsx",
        dry_run=False,
        created_at=TEST_NOW,
    )
    no_formula_anywhere(content)
    sheet = load_workbook(io.BytesIO(content))["处理结果"]
    assert [sheet["B2"].value, sheet["C2"].value, sheet["B3"].value] == ["'" + HOSTILE[0], "'+1", "'-2+3"]
    assert sheet["B2"].quotePrefix and sheet["B2"].fill.fgColor.rgb == "00FFC7CE"  # still marked refused
    assert load_workbook(io.BytesIO(content))["汇总"]["B2"].value == "'=清单.xlsx"
