"""Finance's payout pages: the approved pool, batches, bank files, the roster (made in the
background, downloaded when ready), confirmation, failed lines and reconciliation with the
bank's return file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from store import documents, payouts
from store.access import SignedIn
from store.claims import Filters
from store.db import Database
from store.documents import Roster
from workflow.errors import DomainError, NotFound, ValidationFailed
from workflow.roles import Role
from workflow.states import SUBSIDY_LABELS, SubsidyType

from ..i18n import N_
from .cases import FORM, page_context
from .documents import base_url, pdf_response
from .guard import require

MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
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
# Why a roster could not be made (documents.ROSTER_FAILED, ROSTER_INTERRUPTED, ROSTER_OUTDATED):
# the core keeps them as plain text, marked here for the catalogue.
ROSTER_ERRORS = (
    N_("花名册生成失败，请重新生成；如再次失败，请联系系统管理员"),
    N_("生成中断，请重新生成"),
    N_("批次明细已变更，此份作废，已重新生成"),
)


def _ids(raw: Any) -> list[int]:
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [int(x) for x in values if str(x).strip().isdigit()]


class PayoutController(Controller):
    path = "/payouts"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def pool(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        subsidy_type: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
    ) -> Template:
        require(who, Role.FINANCE)
        return _pool_page(request, db, who, subsidy_type, village)

    @post("/", sync_to_thread=True, status_code=303)
    def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.FINANCE)
        ids = _ids(data.get("ids"))
        try:
            if not ids:
                raise ValidationFailed("validation.payout_selection", N_("请选择要发放的申请"))
            batch = payouts.create_batch(db, who.actor, ids)
        except DomainError as exc:
            return _pool_page(request, db, who, None, None, status=exc.status, error=exc.message)
        return Redirect(f"/payouts/{batch.id}?done=created", status_code=303)

    @get("/{batch_id:int}", sync_to_thread=True)
    def batch(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        require(who, Role.FINANCE)
        return _batch_page(request, db, who, batch_id, done=request.query_params.get("done"))

    @get("/{batch_id:int}/bank-file/{fmt:str}", sync_to_thread=True)
    def bank_file(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        fmt: FromPath[str],
        who: NamedDependency[SignedIn],
    ) -> Response[Any]:
        require(who, Role.FINANCE)
        try:
            content, reference = payouts.bank_file(db, who.actor, batch_id, fmt)
        except NotFound:
            raise
        except DomainError as exc:
            return _batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return Response(
            content,
            media_type=CONTENT_TYPES[fmt],
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'银行文件-{reference}.{fmt}')}"
            },
        )

    @post("/{batch_id:int}/roster", sync_to_thread=True, status_code=303)
    def start_roster(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.FINANCE)
        _render(request, state, documents.start_roster(db, who.actor, batch_id))
        return Redirect(f"/payouts/{batch_id}", status_code=303)

    @get("/{batch_id:int}/roster", sync_to_thread=True)
    def roster(
        self,
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Response[Any]:
        require(who, Role.FINANCE)
        ready = documents.ready_roster(db, batch_id)
        if ready is None:  # never rendered in the request: the batch page offers to make one
            return Redirect(f"/payouts/{batch_id}", status_code=303)
        return pdf_response(documents.stored_pdf(files, ready), f"发放花名册-{ready.batch_ref}.pdf")

    @post("/{batch_id:int}/confirm", sync_to_thread=True)
    def confirm(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Template:
        require(who, Role.FINANCE)
        selected = _ids(data.get("line_ids"))
        try:
            paid_on = date.fromisoformat(str(data.get("paid_on") or "").strip())
        except ValueError:
            return _batch_page(request, db, who, batch_id, status=422, error=N_("请填写正确的发放日期"))
        try:
            outcomes = payouts.confirm_paid(
                db, who.actor, batch_id, str(data.get("bank_reference") or ""), paid_on, selected or None
            )
        except NotFound:
            raise
        except DomainError as exc:
            return _batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return _batch_page(request, db, who, batch_id, outcomes=outcomes)

    @post("/{batch_id:int}/lines/{line_id:int}/fail", sync_to_thread=True, status_code=303)
    def fail(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        line_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.FINANCE)
        try:
            roster = payouts.fail_line(db, who.actor, batch_id, line_id, str(data.get("reason") or ""))
        except NotFound:
            raise
        except DomainError as exc:
            return _batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        _render(request, state, roster)
        return Redirect(f"/payouts/{batch_id}?done=failed", status_code=303)

    @post("/{batch_id:int}/lines/{line_id:int}/decide", sync_to_thread=True, status_code=303)
    def decide(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        line_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        """Finance's decision on a line the bank's return file disagreed with."""
        require(who, Role.FINANCE)
        raw_date = str(data.get("paid_on") or "").strip()
        decision = str(data.get("decision") or "")
        try:
            paid_on = date.fromisoformat(raw_date) if raw_date else None
            roster = payouts.decide(
                db,
                who.actor,
                batch_id,
                line_id,
                decision,
                str(data.get("note") or ""),
                str(data.get("bank_reference") or ""),
                paid_on,
            )
        except ValueError:
            return _batch_page(request, db, who, batch_id, status=422, error=N_("请填写正确的发放日期"))
        except NotFound:
            raise
        except DomainError as exc:
            return _batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        _render(request, state, roster)
        return Redirect(f"/payouts/{batch_id}?done=decided", status_code=303)

    @post("/{batch_id:int}/close", sync_to_thread=True, status_code=303)
    def close(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, Role.FINANCE)
        try:
            payouts.close_batch(db, who.actor, batch_id)
        except NotFound:
            raise
        except DomainError as exc:
            return _batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return Redirect(f"/payouts/{batch_id}?done=closed", status_code=303)

    @post("/{batch_id:int}/reconcile", sync_to_thread=True)
    def reconcile(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], MULTIPART],
    ) -> Template:
        require(who, Role.FINANCE)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _batch_page(request, db, who, batch_id, status=422, error=N_("请选择银行回单文件"))
        try:
            result = payouts.reconcile(db, who.actor, batch_id, upload.filename, upload.file.read())
        except NotFound:
            raise
        except DomainError as exc:
            return _batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return _batch_page(request, db, who, batch_id, reconciliation=result)


def _render(request: Request[Any, Any, Any], state: State, roster: Roster | None) -> None:
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


def _pool_page(
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


def _batch_page(
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
