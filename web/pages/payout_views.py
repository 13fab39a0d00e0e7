"""What finance's payout pages show: the labels of batch and line states, outcomes and
decisions, the pool page and the batch page, the roster rendered in the background, and the
claim or line ids a form selected."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.response import Template

from store import documents, payouts
from store.access import SignedIn
from store.claims import Filters
from store.db import Database
from store.documents import Roster
from workflow.states import SUBSIDY_LABELS, SubsidyType

from ..i18n import N_
from .cases import page_context
from .documents import base_url

BATCH_LABELS = {
    "open": N_("待导出"),
    "exported": N_("已导出"),
    "confirmed": N_("已确认"),
    "closed": N_("已关闭"),
}
LINE_LABELS = {"pending": N_("待发放"), "paid": N_("已发放"), "failed": N_("发放失败")}
OUTCOME_LABELS = {
    "paid": N_("已确认发放"),
    "already_paid": N_("此前已确认发放"),
    "refused": N_("不能确认"),
    "not_pending": N_("该笔已标记失败"),
    "not_in_batch": N_("不属于此批次"),
    "conflict": N_("正在被他人处理"),
    "flagged": N_("对账不符，待处理"),
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
    reconciliation: payouts.Reconciliation | None = None,
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
                "rec": reconciliation,
                "batch_labels": BATCH_LABELS,
                "line_labels": LINE_LABELS,
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
