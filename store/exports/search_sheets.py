"""The search page (查找) as Excel: its search in the staff member's scope, every page of its
claims, contracts and persons (a sheet each, the open tab first), what was searched for in the
title rows as the page says it (a whole ID number only masked), ID numbers masked."""

from __future__ import annotations

from printing.workbook import Column, Sheet
from workflow.identity import mask_tail
from workflow.roles import Actor
from workflow.states import STATE_LABELS

from ..claims.worklist import villages_of
from ..db import Database
from ..search.finder import SearchPage, SearchQuery, every_record
from ..search.rows import ClaimResult
from .common import CLAIM_COLUMNS, EXPORT_CAP, Download, capped, claim_cells, download, scope_note, yes

TITLE = "查找结果"
CLAIMS = (
    *CLAIM_COLUMNS,
    Column("申报单位", width=28),
    Column("清单批次", width=10),
    Column("状态", width=12),
    Column("办到哪一步", width=36),
    Column("办理期限", "datetime", 18),
    Column("是否逾期", width=10),
    Column("认领人", width=12),
    Column("发放批次", width=14),
    Column("发放日期", "date", 12),
)
CONTRACTS = (
    Column("编号", "int", 10),
    Column("姓名", width=12),
    Column("身份证号", "id_number", 22),
    Column("行政村", width=12),
    Column("岗位", width=18),
    Column("开始日期", "date", 12),
    Column("结束日期", "date", 12),
    Column("状态", width=12),
    Column("办到哪一步", width=20),
)
PERSONS = (
    Column("姓名", width=12),
    Column("身份证号", "id_number", 22),
    Column("性别", width=8),
    Column("出生年份", "int", 10),
    Column("行政村", width=12),
)
# What the page says was searched for (templates/search.html), by what the text asked for.
ASKED = {
    "person": "{shown}（身份证号 {shown_id}）的全部记录",
    "digits": "编号为 {shown}，或身份证号末位为“{shown}”",
    "number": "编号为 {shown}",
    "id_tail": "身份证号末位为“{shown}”",
    "list": "清单批次 {shown} 中的申请",
    "payout": "发放批次 {shown} 中的申请",
    "name": "姓名以“{shown}”开头的人员，或名称含“{shown}”的申报单位",
}


def search_export(db: Database, actor: Actor, query: SearchQuery) -> Download:
    """The search the page was opened with (its text or one person's records; never a whole
    ID number, which the page itself refuses in a URL), all its pages up to the cap."""
    found = every_record(db, actor, query, EXPORT_CAP)
    with db.transaction() as session:
        villages = [v.name for v in villages_of(session, actor)]
    head = [scope_note(actor, villages), searched_for(found)]
    claims, claims_cap = capped(found.claims, EXPORT_CAP)
    contracts, contracts_cap = capped(found.contracts, EXPORT_CAP)
    persons, persons_cap = capped(found.persons, EXPORT_CAP)
    sheets = {
        "claims": Sheet("补贴申请", CLAIMS, [_claim(r) for r in claims], [*head, *claims_cap]),
        "contracts": Sheet(
            "公益性岗位协议",
            CONTRACTS,
            [
                (
                    k.id,
                    k.name,
                    mask_tail(k.id_last4),
                    k.village,
                    k.post,
                    k.start_date,
                    k.end_date,
                    STATE_LABELS.get(k.state, k.state),
                    f"等待{k.waiting_for}" if k.waiting_for else "—",
                )
                for k in contracts
            ],
            [*head, *contracts_cap],
        ),
        "persons": Sheet(
            "人员",
            PERSONS,
            [(p.name, mask_tail(p.id_last4), p.sex, p.birth_year, p.village) for p in persons],
            [*head, *persons_cap],
        ),
    }
    first = sheets.pop(found.kind)
    return download(found.now or db.clock.now(), actor, TITLE, [first, *sheets.values()])


def searched_for(page: SearchPage) -> str:
    """The title line saying what was searched for, as the page says it; or why nothing was."""
    if page.error:
        return f"查找：{page.error}（未导出任何记录）"
    if not page.asks:
        return "查找：未输入查找内容（未导出任何记录）"
    sentence = ASKED.get(page.asks, "{shown}")
    return "查找：" + sentence.format(shown=page.shown, shown_id=page.shown_id)


def where_it_is(r: ClaimResult) -> str:
    """Where the claim is, in the words of the page's 办到哪一步 column."""
    if r.state == "finance_paid":
        paid = f"（{r.paid_on:%Y-%m-%d}）" if r.paid_on else ""
        return f"已发放{paid}" + (f"，发放批次 {r.payout_batch}" if r.payout_batch else "")
    if r.payout_status == "pending":
        return f"已列入发放批次 {r.payout_batch}，等待银行确认"
    if r.waiting_for:
        failed = f"；上次发放失败（发放批次 {r.payout_batch}），等待重新发放"
        return f"等待{r.waiting_for}" + (failed if r.payout_status == "failed" else "")
    return f"已办结（{r.updated_at:%Y-%m-%d}）"


def _claim(r: ClaimResult) -> tuple[object, ...]:
    return (
        *claim_cells(r.id, r.name, r.id_last4, r.village, r.subsidy_type, r.amount),
        r.claimant,
        r.batch_ref,
        STATE_LABELS.get(r.state, r.state),
        where_it_is(r),
        r.due_at if r.waiting_for else None,
        yes(r.overdue),
        r.holder if r.waiting_for else None,
        r.payout_batch,
        r.paid_on,
    )
