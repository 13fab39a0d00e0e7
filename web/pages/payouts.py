"""Finance's payout pages: the approved pool, a batch previewed then made, bank files, the
roster (made in the background, downloaded when ready), confirmation, failed lines, the bank's
return file imported, and the look-up of a payment. What the pages show is shaped in
``payout_views``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from store import documents, payouts
from store.access import SignedIn
from store.db import Database
from workflow.errors import Conflict, DomainError, NotFound, ValidationFailed
from workflow.roles import Role

from ..downloads import PDF, XLSX, file_response
from ..i18n import N_
from ..uploads import chosen_file
from .cases import FORM
from .guard import require
from .payout_views import (
    batch_page,
    form_ids,
    lookup_page,
    pool_page,
    preview_page,
    previewed_lines,
    render_in_background,
)

MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
CONTENT_TYPES = {
    "xlsx": XLSX,
    "csv": "text/csv; charset=utf-8",
}


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
        ids: FromQuery[list[int] | None] = None,
    ) -> Template:
        """The pool; ``ids``: the claims a preview had selected, ticked again."""
        require(who, Role.FINANCE)
        return pool_page(request, db, who, subsidy_type, village, selected=set(ids or ()))

    @get("/preview", sync_to_thread=True)
    def preview(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        ids: FromQuery[list[int] | None] = None,
    ) -> Template:
        """What a batch of the selected claims would pay, to confirm (nothing is written)."""
        require(who, Role.FINANCE)
        try:
            return preview_page(request, db, who, payouts.preview_batch(db, who.actor, ids or []))
        except DomainError as exc:
            return pool_page(request, db, who, None, None, status=exc.status, error=exc.message)

    @post("/", sync_to_thread=True, status_code=303)
    def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        """The batch the preview showed, or, if the pool changed since, the new preview."""
        require(who, Role.FINANCE)
        previewed = previewed_lines(data.get("line"))
        try:
            if not previewed:
                raise ValidationFailed("validation.payout_preview", N_("请先选择申请并预览，再确认生成批次"))
            batch = payouts.create_batch(db, who.actor, previewed=previewed)
        except Conflict as exc:
            if exc.code != "payout.pool_changed":
                raise
            fresh = payouts.preview_batch(db, who.actor, list(previewed))
            return preview_page(request, db, who, fresh, status=409, changed=exc.details, seen=data)
        except DomainError as exc:
            return pool_page(request, db, who, None, None, status=exc.status, error=exc.message)
        return Redirect(f"/payouts/{batch.id}?done=created", status_code=303)

    @get("/lookup", sync_to_thread=True)
    def lookup(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        q: FromQuery[str] = "",
        paid: FromQuery[bool] = False,
    ) -> Template:
        """Finance's look-up of a payment by claim number, name or bank reference."""
        require(who, Role.FINANCE)
        return lookup_page(request, who, payouts.find_payments(db, who.actor, q, paid_only=paid), paid)

    @get("/{batch_id:int}", sync_to_thread=True)
    def batch(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        require(who, Role.FINANCE)
        return batch_page(request, db, who, batch_id, done=request.query_params.get("done"))

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
            return batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return file_response(content, f"银行文件-{reference}.{fmt}", CONTENT_TYPES[fmt])

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
        render_in_background(request, state, documents.start_roster(db, who.actor, batch_id))
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
        return file_response(
            documents.stored_pdf(files, ready), f"发放花名册-{ready.batch_ref}.pdf", PDF, inline=True
        )

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
        selected = form_ids(data.get("line_ids"))
        try:
            paid_on = date.fromisoformat(str(data.get("paid_on") or "").strip())
        except ValueError:
            return batch_page(request, db, who, batch_id, status=422, error=N_("请填写正确的发放日期"))
        try:
            outcomes = payouts.confirm_paid(
                db, who.actor, batch_id, str(data.get("bank_reference") or ""), paid_on, selected or None
            )
        except NotFound:
            raise
        except DomainError as exc:
            return batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return batch_page(request, db, who, batch_id, outcomes=outcomes)

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
            return batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        render_in_background(request, state, roster)
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
            return batch_page(request, db, who, batch_id, status=422, error=N_("请填写正确的发放日期"))
        except NotFound:
            raise
        except DomainError as exc:
            return batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        render_in_background(request, state, roster)
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
            return batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        return Redirect(f"/payouts/{batch_id}?done=closed", status_code=303)

    @post("/{batch_id:int}/reconcile", sync_to_thread=True)
    def reconcile(
        self,
        request: Request[Any, Any, Any],
        state: State,
        db: NamedDependency[Database],
        batch_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], MULTIPART],
    ) -> Template:
        """The bank's return file imported: lines paid, failed or held, each row's result shown."""
        require(who, Role.FINANCE)
        upload = chosen_file(data)
        if upload is None:
            return batch_page(request, db, who, batch_id, status=422, error=N_("请选择银行回单文件"))
        try:
            raw_date = str(data.get("paid_on") or "").strip()
            paid_on = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            return batch_page(request, db, who, batch_id, status=422, error=N_("请填写正确的发放日期"))
        try:
            result = payouts.import_return(
                db, who.actor, batch_id, upload.filename, upload.file.read(), paid_on
            )
        except NotFound:
            raise
        except DomainError as exc:
            return batch_page(request, db, who, batch_id, status=exc.status, error=exc.message)
        render_in_background(request, state, result.roster)
        return batch_page(request, db, who, batch_id, imported=result)
