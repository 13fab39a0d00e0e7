"""The lists staff export to Excel as their pages show them, every page at once: the inbox (its
claims and contracts waiting) and the contracts page (contracts, those ending soon, the posts).
Same scope and filters as the page; ID numbers masked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.orm import aliased

from printing.workbook import Column, Sheet
from workflow.errors import DomainError
from workflow.identity import mask_tail
from workflow.roles import Actor
from workflow.states import (
    STATE_LABELS,
    SUBSIDY_LABELS,
    renewal_label,
)

from ..claims.tail_search import with_id_tails, with_tails
from ..claims.worklist import Filters, contracts_inbox, village_names, villages_of, waiting_rows
from ..contracts.posts import (
    ContractFilter,
    contracts_query,
    ending_within,
    posts_by_village,
    renewals,
)
from ..db import Database
from ..models import Contract, Person, Post, Village
from .common import (
    CLAIM_COLUMNS,
    EXPORT_CAP,
    Download,
    capped,
    claim_cells,
    download,
    filters_note,
    scope_note,
    yes,
)

CONTRACT_KINDS = {"service_agreement": "劳务协议", "labour_contract": "劳动合同"}

INBOX = (
    *CLAIM_COLUMNS,
    Column("状态", width=12),
    Column("办理期限", "datetime", 18),
    Column("是否逾期", width=10),
)
INBOX_CONTRACTS = (
    Column("编号", "int", 10),
    Column("姓名", width=12),
    Column("开始日期", "date", 12),
    Column("结束日期", "date", 12),
    Column("状态", width=12),
)


def inbox_export(db: Database, actor: Actor, f: Filters) -> Download:
    """The inbox with the page's filters, all of its pages: the claims waiting for this user and
    the contracts waiting for them. Filters the page would drop (a search too broad) are
    dropped here too, and the sheet says so."""
    now = db.clock.now()
    f = with_tails(db.vault, replace(f, cursor=None))
    notes: list[str] = []
    with db.transaction() as session:
        try:
            found = waiting_rows(session, actor, now, f, EXPORT_CAP + 1)
        except DomainError as exc:
            notes.append(f"{exc.message}：已按无筛选条件导出。")
            f = Filters()
            found = waiting_rows(session, actor, now, f, EXPORT_CAP + 1)
        contracts = contracts_inbox(session, actor, limit=EXPORT_CAP + 1)
        villages = {vid: v.name for vid, v in village_names(session, actor).items()}
    rows, cap_note = capped(with_id_tails(db.vault, found))
    chosen = {
        "状态": STATE_LABELS.get(f.state or ""),
        "补贴类型": SUBSIDY_LABELS.get(f.subsidy_type or ""),
        "行政村": villages.get(f.village_id or 0, f.village_id),
        "清单批次": f.batch,
        "只看逾期": "是" if f.overdue else None,
        "姓名或身份证号末4位": f.q,
    }
    claims = [
        (
            *claim_cells(
                r.id,
                r.name,
                r.id_last4,
                villages.get(r.village_id, str(r.village_id)),
                r.subsidy_type,
                r.amount,
            ),
            STATE_LABELS.get(r.state, r.state),
            r.due_at,
            "逾期" if r.due_at and r.due_at < now else "",
        )
        for r in rows
    ]
    scope = scope_note(actor, list(villages.values()))
    waiting, contracts_note = capped(contracts)
    return download(
        now,
        actor,
        "待办",
        [
            Sheet("待办申请", INBOX, claims, [scope, filters_note(chosen), *notes, *cap_note]),
            Sheet(
                "待办协议",
                INBOX_CONTRACTS,
                [
                    (k.id, k.name, k.start_date, k.end_date, STATE_LABELS.get(k.state, k.state))
                    for k in waiting
                ],
                [scope, *contracts_note],
            ),
        ],
    )


CONTRACTS = (
    Column("编号", "int", 10),
    Column("姓名", width=12),
    Column("身份证号", "id_number", 22),
    Column("行政村", width=12),
    Column("岗位", width=18),
    Column("大学生公岗", width=12),
    Column("协议类型", width=12),
    Column("开始日期", "date", 12),
    Column("结束日期", "date", 12),
    Column("月补贴（元）", "money", 14),
    Column("状态", width=10),
    Column("续签", width=18),
    Column("退岗日期", "date", 12),
)
ENDING = (
    Column("编号", "int", 10),
    Column("姓名", width=12),
    Column("行政村", width=12),
    Column("岗位", width=18),
    Column("到期日", "date", 12),
    Column("剩余天数", "int", 10),
    Column("续签", width=18),
)
POSTS = (
    Column("行政村", width=12),
    Column("岗位", width=18),
    Column("大学生公岗", width=12),
    Column("月补贴（元）", "money", 14),
    Column("名额", "int", 8),
    Column("已占", "int", 8),
    Column("空余", "int", 8),
)


def contracts_export(db: Database, actor: Actor, f: ContractFilter) -> Download:
    """The contracts page: its contracts with the page's filters (every page), the contracts
    ending within 30 days, and the posts per village, each a sheet."""
    now = db.clock.now()
    today = now.date()
    successor = aliased(Contract)
    q = (
        contracts_query(actor, f)
        .join(Person, Person.id == Contract.person_id)
        .join(Post, Post.id == Contract.post_id)
        .join(Village, Village.id == Contract.village_id)
        .outerjoin(successor, successor.id == Contract.successor_id)
        .with_only_columns(
            Contract.id,
            Person.name,
            Person.id_number_enc.label("id_enc"),
            Village.name.label("village"),
            Post.title,
            Post.graduate_post,
            Contract.kind,
            Contract.start_date,
            Contract.end_date,
            Contract.monthly_subsidy,
            Contract.state,
            Contract.successor_id,
            successor.state.label("successor_state"),
            Contract.terminated_on,
        )
        .order_by(Contract.id.desc())
        .limit(EXPORT_CAP + 1)
    )
    with db.transaction() as session:
        found = session.execute(q).all()
        ending = ending_within(session, actor, today)
        renewed = renewals(session, ending)
        posts = posts_by_village(session, actor, today, f.village_id)
        villages = {v.id: v.name for v in villages_of(session, actor)}
    rows, cap_note = capped(found)
    contracts = [
        (
            r.id,
            r.name,
            mask_tail(db.vault.tail(r.id_enc)),
            r.village,
            r.title,
            yes(r.graduate_post),
            CONTRACT_KINDS.get(r.kind, r.kind),
            r.start_date,
            r.end_date,
            r.monthly_subsidy,
            STATE_LABELS.get(r.state, r.state),
            renewal_label(r.successor_state if r.successor_id else None),
            r.terminated_on,
        )
        for r in rows
    ]
    scope = scope_note(actor, list(villages.values()))
    chosen = {
        "状态": STATE_LABELS.get(f.state or ""),
        "行政村": villages.get(f.village_id or 0, f.village_id),
    }
    return download(
        now,
        actor,
        "公益性岗位协议",
        [
            Sheet("协议", CONTRACTS, contracts, [scope, filters_note(chosen), *cap_note]),
            Sheet(
                "30天内到期",
                ENDING,
                [
                    (
                        k.id,
                        k.person.name,
                        villages.get(k.village_id, str(k.village_id)),
                        k.post.title,
                        k.end_date,
                        _days(k.end_date, today),
                        renewed.get(k.id, renewal_label(None)),
                    )
                    for k in ending
                ],
                [scope],
            ),
            Sheet(
                "岗位",
                POSTS,
                [
                    (
                        v.village.name,
                        r.post.title,
                        yes(r.post.graduate_post),
                        r.post.monthly_subsidy,
                        r.post.places,
                        r.taken,
                        r.free,
                    )
                    for v in posts
                    for r in v.posts
                ],
                [scope, filters_note({"行政村": villages.get(f.village_id or 0, f.village_id)})],
            ),
        ],
    )


def _days(end: date, today: date) -> int:
    return (end - today).days
