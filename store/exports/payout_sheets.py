"""Finance's payout pages as Excel: the batches and the approved claims waiting for one (the
payouts page, with its filters), and one batch's lines, control totals and payees. ID and
account numbers masked as the pages mask them; amounts as numbers."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from printing.workbook import Column, Sheet
from workflow.identity import mask
from workflow.payout_totals import batch_totals
from workflow.roles import Actor
from workflow.states import BATCH_LABELS, PAYOUT_LINE_LABELS, STATE_LABELS, SUBSIDY_LABELS

from ..claims.worklist import Filters, villages_of
from ..db import Database
from ..models import Claim
from ..payouts.batch_pool import last_failures, pool_query
from ..payouts.batch_rows import batch_row, lines_with_payees, masked_payee_id
from ..payouts.batches import require_finance
from ..payouts.models import PayoutBatch
from .common import CLAIM_COLUMNS, EXPORT_CAP, Download, capped, claim_cells, download, filters_note

TOTALS = {
    "due": "应发合计",
    "paid": "已发放",
    "pending": "待发放",
    "awaiting": "其中对账不符待处理",
    "failed": "发放失败（不计入合计）",
    "shortfall": "按银行实付确认的差额",
}

BATCHES = (
    Column("批次号", width=16),
    Column("生成时间", "datetime", 18),
    Column("笔数", "int", 8),
    Column("收款人数", "int", 10),
    Column("总金额（元）", "money", 16),
    Column("状态", width=10),
    Column("导出时间", "datetime", 18),
    Column("关闭时间", "datetime", 18),
)
POOL = (
    *CLAIM_COLUMNS,
    Column("状态", width=12),
    Column("上次发放失败原因", width=30),
)


def payouts_export(db: Database, actor: Actor, f: Filters) -> Download:
    """The payouts page: every batch, newest first, and the approved claims not yet in an open
    batch with the page's filters (all of them, where the page lists the first 200)."""
    require_finance(actor)
    now = db.clock.now()
    with db.transaction() as session:
        batches = list(
            session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(EXPORT_CAP + 1))
        )
        pool = list(
            session.scalars(
                pool_query(f).options(selectinload(Claim.person)).order_by(Claim.id).limit(EXPORT_CAP + 1)
            )
        )
        ids = [c.id for c in pool]
        failures: dict[int, str] = {}
        for i in range(0, len(ids), 1000):
            failures.update(last_failures(session, ids[i : i + 1000]))
        villages = {v.id: v.name for v in villages_of(session, actor)}
    batches, batch_note = capped(batches)
    pool, pool_note = capped(pool)
    chosen = {"补贴类型": SUBSIDY_LABELS.get(f.subsidy_type or ""), "行政村": villages.get(f.village_id or 0)}
    return download(
        now,
        actor,
        "发放",
        [
            Sheet(
                "发放批次",
                BATCHES,
                [
                    (
                        b.reference,
                        b.created_at,
                        b.line_count,
                        len(b.payee_totals.get("payees", [])),
                        b.total_amount,
                        BATCH_LABELS.get(b.state, b.state),
                        b.exported_at,
                        b.closed_at,
                    )
                    for b in batches
                ],
                ["范围：全县", *batch_note],
            ),
            Sheet(
                "待发放的补贴",
                POOL,
                [
                    (
                        *claim_cells(
                            c.id,
                            c.person.name,
                            db.vault.tail(c.person.id_number_enc),
                            villages.get(c.village_id, str(c.village_id)),
                            c.subsidy_type,
                            c.amount,
                        ),
                        STATE_LABELS.get(c.state, c.state),
                        failures.get(c.id),
                    )
                    for c in pool
                ],
                ["范围：全县", filters_note(chosen), *pool_note],
            ),
        ],
    )


LINES = (
    Column("序号", "int", 8),
    Column("申请编号", "int", 10),
    Column("姓名", width=12),
    Column("收款人", width=24),
    Column("身份证号或信用代码", "id_number", 22),
    Column("收款账号", "bank_account", 24),
    Column("金额（元）", "money", 14),
    Column("状态", width=10),
    Column("实付金额（元）", "money", 14),
    Column("银行流水号", width=20),
    Column("发放日期", "date", 12),
    Column("失败原因", width=24),
    Column("对账不符", width=24),
)
TOTAL_COLUMNS = (
    Column("项目", width=22),
    Column("笔数", "int", 8),
    Column("金额（元）", "money", 16),
    Column("大写", width=36),
)
PAYEES = (
    Column("收款人", width=28),
    Column("账号末4位", width=12),
    Column("笔数", "int", 8),
    Column("金额（元）", "money", 16),
)


def batch_export(db: Database, actor: Actor, batch_id: int) -> Download:
    """One batch as its page shows it: every line (failed ones too), the control totals and the
    sum per payee."""
    require_finance(actor)
    now = db.clock.now()
    q = lines_with_payees(batch_id)
    with db.transaction() as session:
        batch = batch_row(session, batch_id)
        found = session.execute(q).all()
    lines = [
        (
            li.seq,
            li.claim_id,
            person,
            li.payee_name,
            masked_payee_id(db, li, id_enc, credit_code),
            mask(db.vault.decrypt(li.account_enc)),
            li.amount,
            PAYOUT_LINE_LABELS.get(li.status, li.status),
            (li.amount if li.paid_amount is None else li.paid_amount) if li.status == "paid" else None,
            li.bank_reference,
            li.paid_on,
            li.failure_reason,
            li.flag_reason,
        )
        for li, person, id_enc, credit_code in found
    ]
    totals = batch_totals(li for li, *_ in found)
    title = f"发放批次{batch.reference}"
    notes = [
        f"状态：{BATCH_LABELS.get(batch.state, batch.state)}　生成时间：{batch.created_at:%Y-%m-%d %H:%M}"
    ]
    return download(
        now,
        actor,
        title,
        [
            Sheet("发放明细", LINES, lines, notes),
            Sheet(
                "控制总数",
                TOTAL_COLUMNS,
                [
                    (label, totals[kind].count, totals[kind].amount, totals[kind].capital)
                    for kind, label in TOTALS.items()
                ],
                notes,
            ),
            Sheet(
                "收款人汇总",
                PAYEES,
                [
                    (p["payee"], p["account_last4"], p["lines"], Decimal(str(p["amount"])))
                    for p in batch.payee_totals.get("payees", [])
                ],
                notes,
            ),
        ],
    )
