"""What every Excel export shares: the cap on rows, the notes under a sheet's title (scope,
filters, a cap reached), the columns a list of claims opens with, and the download itself (who
exported it and when on every sheet)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from printing.workbook import XLSX, Book, Column, Sheet, workbook_bytes
from workflow.identity import mask_tail
from workflow.roles import Actor, is_county_wide
from workflow.states import SUBSIDY_LABELS

# Rows one sheet holds at most: all the pages of a list, up to this. Past it the sheet says so
# and asks for narrower filters (the inbox counts up to the same number: "10000+"). Ten
# thousand rows write in about a second; a county's lists are shorter than this.
EXPORT_CAP = 10_000
T = TypeVar("T")
# How every list of claims opens (the inbox, the payout pool, the search): the claim, its person
# (the ID number masked), the village, the subsidy and the amount; the cells from claim_cells.
CLAIM_COLUMNS = (
    Column("编号", "int", 10),
    Column("姓名", width=12),
    Column("身份证号", "id_number", 22),
    Column("行政村", width=12),
    Column("补贴类型", width=34),
    Column("金额（元）", "money", 14),
)
# What a new export is made of (``download(now, actor, title, [Sheet(name, columns, rows)])``).
__all__ = [
    "CLAIM_COLUMNS",
    "EXPORT_CAP",
    "Column",
    "Download",
    "Sheet",
    "capped",
    "claim_cells",
    "download",
    "filters_note",
    "scope_note",
    "yes",
]


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    media_type: str = XLSX


def download(now: datetime, actor: Actor, title: str, sheets: Sequence[Sheet]) -> Download:
    """The workbook, each sheet under ``title`` with who exported it and when (``now``, from the
    injected clock), named after the title and the minute."""
    who = actor.name or f"用户{actor.user_id}"
    content = workbook_bytes(Book(title, who, now, sheets))
    return Download(f"{title}-{now:%Y%m%d-%H%M}.xlsx", content)


def capped(rows: Sequence[T], cap: int | None = None) -> tuple[list[T], list[str]]:
    """The rows up to the cap (a query reads one more to know) and the note when it was reached."""
    cap = EXPORT_CAP if cap is None else cap
    if len(rows) > cap:
        return list(rows[:cap]), [f"超过{cap}条，只导出了前{cap}条，请用筛选条件缩小范围后分次导出。"]
    return list(rows), []


def scope_note(actor: Actor, villages: Sequence[str]) -> str:
    """Whose data the sheet holds: the county, or the verifier's villages."""
    if is_county_wide(actor):
        return "范围：全县"
    return f"范围：{'、'.join(villages) or '无'}"


def filters_note(chosen: Mapping[str, object]) -> str:
    """The filters the page had (those set), as the page names them."""
    parts = [f"{label}：{value}" for label, value in chosen.items() if value not in (None, "", False)]
    return f"筛选条件：{'；'.join(parts)}" if parts else "筛选条件：无（全部）"


def yes(flag: object) -> str:
    return "是" if flag else "否"


def claim_cells(
    claim_id: int, name: str, id_last4: str, village: str, subsidy_type: str, amount: object
) -> tuple[object, ...]:
    """A claim's cells under CLAIM_COLUMNS: the ID number masked, the subsidy by its name."""
    return (
        claim_id,
        name,
        mask_tail(id_last4),
        village,
        SUBSIDY_LABELS.get(subsidy_type, subsidy_type),
        amount,
    )
