"""What finance's payout pages show: the labels of batch and line states, outcomes and
decisions, the pool page, the preview of a batch, the batch page with the result of a return
file, the payment look-up, the roster rendered in the background, and the ids a form selected."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.response import Template

from store import documents, payouts
from store.access import SignedIn
from store.claims import Filters
from store.db import Database
from store.documents import Roster
from workflow.states import BATCH_LABELS, PAYOUT_LINE_LABELS, SUBSIDY_LABELS, SubsidyType

from ..i18n import N_
from .cases import page_context
from .documents import base_url

OUTCOME_LABELS = {
    "paid": N_("已确认发放"),
    "already_paid": N_("此前已确认发放"),
    "refused": N_("不能确认"),
    "not_pending": N_("该笔已标记失败"),
    "not_in_batch": N_("不属于此批次"),
    "conflict": N_("正在被他人处理"),
    "flagged": N_("对账不符，待处理"),
}
# What each row of the bank's return file came to (store.payouts.return_import).
IMPORT_LABELS = {
    "paid": N_("已确认发放"),
    "failed": N_("已标记失败"),
    "flagged": N_("金额不符，待决定"),
    "already_paid": N_("此前已确认发放"),
    "already_failed": N_("此前已标记失败"),
    "awaiting": N_("金额不符，仍待决定"),
    "absent_settled": N_("回单未列出（已办结）"),
    "disputed": N_("已标记失败但银行显示已支付：暂停发放，待核实"),
    "status_mismatch": N_("状态不符，须核实"),
    "amount_mismatch": N_("与已发放金额不符，须核实"),
    "refused": N_("不能确认"),
    "conflict": N_("正在被他人处理，请稍后重新导入"),
    "duplicate": N_("同一附言出现多行，未处理"),
    "unknown": N_("批次中没有此笔，未处理"),
    "no_serial": N_("缺少银行流水号，未处理"),
    "bad_date": N_("交易日期无法识别，未处理"),
    "missing": N_("回单未列出，仍待发放"),
}
DECISION_LABELS = {"bank_amount": N_("按银行实付确认，差额另行处理"), "returned": N_("退回待发放")}
# Why a roster could not be made (ROSTER_FAILED, ROSTER_INTERRUPTED, ROSTER_OUTDATED of
# store.documents.rosters): the store keeps them as plain text, marked here for the catalogue.
ROSTER_ERRORS = (
    N_("花名册生成失败，请重新生成；如再次失败，请联系系统管理员"),
    N_("生成中断，请重新生成"),
    N_("批次明细已变更，此份作废，已重新生成"),
)


def form_ids(raw: Any) -> list[int]:
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [int(x) for x in values if str(x).strip().isdigit()]


def previewed_lines(raw: Any) -> dict[int, str]:
    """The preview's lines as the confirm form carries them: ``claim id:check`` each."""
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out = {}
    for value in values:
        claim, _, check = str(value).partition(":")
        if claim.strip().isdigit() and check.strip():
            out[int(claim)] = check.strip()
    return out


def render_in_background(request: Request[Any, Any, Any], state: State, roster: Roster | None) -> None:
    """A roster this request started is rendered in the background."""
    if roster is not None and roster.started:
        state.jobs.submit(
            f"花名册 {roster.number}",
            documents.render_roster,
            state.db,
            state.files,
            roster.id,
            base_url(request),
        )


def pool_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    subsidy_type: str | None,
    village: int | None,
    status: int = 200,
    error: str | None = None,
    selected: set[int] | None = None,
) -> Template:
    filters = Filters(
        subsidy_type=subsidy_type if subsidy_type in SubsidyType.__members__.values() else None,
        village_id=village,
    )
    view = payouts.pool(db, who.actor, filters)
    return Template(
        "payouts.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "pool": view.pool,
                "more": view.more,
                "failures": view.failures,
                "batches": view.batches,
                "filters": filters,
                "villages": view.villages,
                "subsidy_labels": SUBSIDY_LABELS,
                "batch_labels": BATCH_LABELS,
                "error": error,
                "selected": selected or set(),
            },
        ),
    )


def preview_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    preview: payouts.BatchPreview,
    status: int = 200,
    changed: dict[str, Any] | None = None,
    seen: dict[str, Any] | None = None,
) -> Template:
    """The batch the selection would make; ``changed``: what left or changed in the pool since
    the preview the user confirmed (``seen``: that form, with the count and total it showed)."""
    return Template(
        "payout_preview.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "preview": preview,
                "subsidy_labels": SUBSIDY_LABELS,
                "changed": changed,
                "seen_count": _matching(COUNT, (seen or {}).get("seen_count")),
                "seen_total": _matching(AMOUNT, (seen or {}).get("seen_total")),
            },
        ),
    )


COUNT, AMOUNT = re.compile(r"\d{1,6}"), re.compile(r"\d{1,12}\.\d{2}")


def _matching(pattern: re.Pattern[str], value: Any) -> str:
    return value if isinstance(value, str) and pattern.fullmatch(value) else ""


def lookup_page(
    request: Request[Any, Any, Any], who: SignedIn, found: payouts.Lookup, paid: bool
) -> Template:
    return Template(
        "payout_lookup.html",
        context=page_context(
            request,
            who,
            {
                "lookup": found,
                "paid_only": paid,
                "subsidy_labels": SUBSIDY_LABELS,
                "line_labels": PAYOUT_LINE_LABELS,
            },
        ),
    )


def batch_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    batch_id: int,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    outcomes: list[payouts.LineOutcome] | None = None,
    imported: payouts.ReturnImport | None = None,
) -> Template:
    view = payouts.batch(db, batch_id)
    return Template(
        "payout.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "batch": view.batch,
                "lines": view.lines,
                "error": error,
                "done": done,
                "outcomes": outcomes,
                "outcome_labels": OUTCOME_LABELS,
                "imported": imported,
                "import_labels": IMPORT_LABELS,
                "batch_labels": BATCH_LABELS,
                "line_labels": PAYOUT_LINE_LABELS,
                "today": db.clock.now().date().isoformat(),
                "pending": view.pending,
                "totals": view.totals,
                "decision_labels": DECISION_LABELS,
                "deciders": view.deciders,
                "roster": view.roster,
                "ready_roster": view.ready_roster,
            },
        ),
    )
