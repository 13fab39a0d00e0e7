"""An agent's bulk lists (申报清单): the template to fill in, an upload checked first (a dry run:
nothing is stored as a claim), each row's result on the page and as a file, then filing the
list that was checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from store.access import SignedIn
from store.claims import (
    check_list,
    file_checked_list,
    get_list,
    list_view,
    recent_lists,
    result_workbook,
)
from store.db import Database
from workflow.errors import DomainError, ValidationFailed
from workflow.lists.columns import COLUMNS
from workflow.lists.template import template_workbook

from ..downloads import XLSX, file_response
from ..i18n import N_
from ..uploads import chosen_file
from .guard import portal_context

UPLOAD = Body(media_type=RequestEncodingType.MULTI_PART)
CHECKED_ROWS = {"valid": N_("检查通过"), "refused": N_("未通过")}  # a dry run's rows
FILED_ROWS = {"accepted": N_("已受理"), "refused": N_("未受理")}


class ListPages(Controller):
    path = "/lists"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], who: NamedDependency[SignedIn]
    ) -> Template:
        return _lists_page(request, db, who)

    @get("/template.xlsx", sync_to_thread=True)
    def template(self, who: NamedDependency[SignedIn]) -> Response[bytes]:
        return file_response(template_workbook(), "扶智申报清单模板.xlsx", XLSX)

    @post("/", sync_to_thread=True, status_code=303)
    def check(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], UPLOAD],
    ) -> Response[Any]:
        """Every row checked, nothing filed: the result page offers to file what was checked."""
        upload = chosen_file(data)
        try:
            if upload is None:
                raise ValidationFailed("validation.required", "请选择要上传的申报清单文件", field="file")
            report = check_list(db, files, who.actor, upload.filename, upload.file.read())
        except DomainError as exc:
            return _lists_page(request, db, who, status=exc.status, error=exc.message)
        return Redirect(f"/agent/lists/{report.list_id}", status_code=303)

    @get("/{list_id:int}", sync_to_thread=True)
    def read(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        who: NamedDependency[SignedIn],
        list_id: FromPath[int],
    ) -> Template:
        return _list_page(request, db, files, who, list_id)

    @post("/{list_id:int}/file", sync_to_thread=True, status_code=303)
    def file(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        who: NamedDependency[SignedIn],
        list_id: FromPath[int],
    ) -> Response[Any]:
        """File the list the dry run ``list_id`` checked; the filed list's page follows."""
        try:
            report = file_checked_list(db, files, who.actor, list_id)
        except DomainError as exc:
            return _list_page(request, db, files, who, list_id, status=exc.status, error=exc.message)
        return Redirect(f"/agent/lists/{report.list_id}?filed={list_id}", status_code=303)

    @get("/{list_id:int}/result.xlsx", sync_to_thread=True)
    def result(
        self, db: NamedDependency[Database], who: NamedDependency[SignedIn], list_id: FromPath[int]
    ) -> Response[bytes]:
        return file_response(
            result_workbook(get_list(db, who.actor, list_id)), f"处理结果-清单{list_id}.xlsx", XLSX
        )


def _lists_page(
    request: Request[Any, Any, Any], db: Database, who: SignedIn, status: int = 200, error: str | None = None
) -> Template:
    return Template(
        "portal/lists.html",
        status_code=status,
        context=portal_context(
            request,
            who,
            {"lists": recent_lists(db, who.actor), "columns": COLUMNS, "error": error},
        ),
    )


def _list_page(
    request: Request[Any, Any, Any],
    db: Database,
    files: Path,
    who: SignedIn,
    list_id: int,
    status: int = 200,
    error: str | None = None,
) -> Template:
    view = list_view(db, files, who.actor, list_id)
    filed_from = request.query_params.get("filed")
    return Template(
        "portal/list.html",
        status_code=status,
        context=portal_context(
            request,
            who,
            {
                "view": view,
                "report": view.report,
                "row_labels": CHECKED_ROWS if view.report.dry_run else FILED_ROWS,
                "error": error,
                "filed_from": filed_from if filed_from and filed_from.isdigit() else None,
            },
        ),
    )
