"""Importing places and persons (导入): the admin (places and persons) and HR (persons) download
a template, check a file (nothing written, every row's result on the page), load it, and
download the result file; the last imports are listed."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import imports
from store.access import SignedIn
from store.db import Database
from store.imports import ImportReport, ImportRow
from workflow.errors import DomainError
from workflow.roles import Role

from ..downloads import XLSX, file_response
from ..i18n import N_
from ..uploads import chosen_file
from .cases import page_context
from .guard import require
from .payouts import MULTIPART

STATUS = {
    "created": N_("新增"),
    "updated": N_("更新"),
    "unchanged": N_("无变化"),
    "refused": N_("未导入"),
}
DRY_STATUS = {**STATUS, "created": N_("将新增"), "updated": N_("将更新"), "refused": N_("未通过校验")}
KIND_LABELS = {"places": N_("乡镇和行政村"), "persons": N_("人员名单")}
DONE = {"loaded": N_("已导入。结果见下表，也可下载结果文件。")}
SHOWN_ROWS = 500  # rows listed on the page; the result file has every one


class ImportController(Controller):
    path = "/imports"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def page(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], who: NamedDependency[SignedIn]
    ) -> Template:
        require(who, Role.ADMIN, Role.HR)
        return _page(request, db, who)

    @get("/template/{kind:str}", sync_to_thread=True)
    def template(self, who: NamedDependency[SignedIn], kind: FromPath[str]) -> Response[bytes]:
        require(who, Role.ADMIN, Role.HR)
        filename, content = imports.template_for(who.actor, kind)
        return file_response(content, filename, XLSX)

    @post("/", sync_to_thread=True, status_code=303)
    def upload(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], MULTIPART],
    ) -> Response[Any]:
        require(who, Role.ADMIN, Role.HR)
        kind = str(data.get("kind") or "")
        upload = chosen_file(data)
        if upload is None:
            return _page(request, db, who, status=422, error=N_("请选择要导入的文件"), kind=kind)
        dry_run = str(data.get("action") or "check") != "load"
        try:
            report = imports.upload_import(
                db, who.actor, kind, upload.filename, upload.file.read(), dry_run=dry_run
            )
        except DomainError as exc:
            return _page(request, db, who, status=exc.status, error=exc.message, kind=kind)
        done = "" if dry_run else "?done=loaded"
        return Redirect(f"/imports/{report.run_id}{done}", status_code=303)

    @get("/{run_id:int}", sync_to_thread=True)
    def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        run_id: FromPath[int],
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, Role.ADMIN, Role.HR)
        report = imports.import_report(db, who.actor, run_id)
        return _page(request, db, who, report=report, done=DONE.get(done or ""))

    @post("/{run_id:int}/load", sync_to_thread=True, status_code=303)
    def load(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        run_id: FromPath[int],
    ) -> Response[Any]:
        require(who, Role.ADMIN, Role.HR)
        try:
            report = imports.load_import(db, who.actor, run_id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            shown = imports.import_report(db, who.actor, run_id)
            return _page(request, db, who, report=shown, status=exc.status, error=exc.message)
        return Redirect(f"/imports/{report.run_id}?done=loaded", status_code=303)

    @get("/{run_id:int}/result.xlsx", sync_to_thread=True)
    def result(
        self, db: NamedDependency[Database], who: NamedDependency[SignedIn], run_id: FromPath[int]
    ) -> Response[bytes]:
        require(who, Role.ADMIN, Role.HR)
        filename, content = imports.import_result(db, who.actor, run_id)
        return file_response(content, filename, XLSX)


def _page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    report: ImportReport | None = None,
    status: int = 200,
    error: str | None = None,
    kind: str = "",
    done: str | None = None,
) -> Template:
    kinds = [k.code for k in imports.kinds_for(who.actor)]
    rows: tuple[ImportRow, ...] = ()
    if report is not None:  # the refused rows first: what needs fixing
        rows = tuple(sorted(report.rows, key=lambda r: r.status != "refused"))[:SHOWN_ROWS]
    return Template(
        "imports.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "kinds": kinds,
                "kind": kind if kind in kinds else (report.kind if report else kinds[0]),
                "kind_labels": KIND_LABELS,
                "report": report,
                "rows": rows,
                "shown_rows": SHOWN_ROWS,
                "statuses": DRY_STATUS if report and report.dry_run else STATUS,
                "all_statuses": STATUS,
                "recent": imports.recent_imports(db, who.actor),
                "error": error,
                "done": done,
            },
        ),
    )
