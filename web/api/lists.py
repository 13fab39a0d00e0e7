"""Bulk lists (申报清单): the template, uploads (.xlsx, .csv in UTF-8 or GBK, JSON), results."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, JSONBody, MultipartBody

from store.claims import ListReport, get_list, list_outcomes, result_workbook, upload_list
from store.db import Database
from store.idempotency import Lease
from workflow.errors import ValidationFailed
from workflow.lists.template import template_workbook
from workflow.roles import Actor

from ..downloads import XLSX, file_response
from .common import form_fields, posted_problems, problems
from .respond import noting, posted_with_effect
from .schemas import ListJsonIn, ListOut, ListRowError, ListRowOut

TRUE = {"1", "true", "yes", "on", "是"}
FALSE = {"", "0", "false", "no", "off", "否"}


@dataclass
class ListUploadOperation(Operation):
    """The multipart form as the handler reads it: the list file and whether to only check it."""

    def __post_init__(self) -> None:
        form = Schema(
            type=OpenAPIType.OBJECT,
            required=["file"],
            properties={
                "file": Schema(
                    type=OpenAPIType.STRING,
                    format=OpenAPIFormat.BINARY,
                    description=".xlsx 或 .csv（UTF-8 或 GBK）",
                ),
                "dry_run": Schema(
                    type=OpenAPIType.BOOLEAN, default=False, description="true：只校验，不生成申请"
                ),
            },
            additional_properties=False,
        )
        if isinstance(self.request_body, RequestBody):
            self.request_body.content = {"multipart/form-data": OpenAPIMediaType(schema=form)}


def list_out(report: ListReport) -> ListOut:
    return ListOut(
        id=report.list_id,
        dry_run=report.dry_run,
        rows_total=report.rows_total,
        rows_accepted=report.rows_accepted,
        rows_refused=report.rows_refused,
        rows=[
            ListRowOut(r.row, r.status, r.claim_id, r.amount, [ListRowError(*e) for e in r.errors])
            for r in report.rows
        ],
        result_url=f"/api/v1/lists/{report.list_id}/result.xlsx" if report.list_id else None,
    )


def committed_list(db: Database, actor: Actor) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    """A retry of an upload whose list committed (its process died after) gets the stored list."""
    return lambda note: (201, list_out(list_outcomes(get_list(db, actor, int(note["list_id"])))))


class ListController(Controller):
    path = "/lists"
    tags = ["lists"]

    @get(
        "/template.xlsx",
        operation_id="downloadListTemplate",
        sync_to_thread=True,
        media_type=XLSX,
        responses=problems(),
        summary="申报清单模板（.xlsx，中文表头，含示例行）",
    )
    def template(self, actor: NamedDependency[Actor]) -> Response[bytes]:
        return file_response(template_workbook(), "扶智申报清单模板.xlsx", XLSX)

    @post(
        "/",
        operation_id="uploadList",
        sync_to_thread=True,
        status_code=201,
        responses=posted_problems(403, 409, 413, 422),
        summary="上传申报清单（.xlsx 或 .csv；dry_run=true 只校验不入库）",
        operation_class=ListUploadOperation,
    )
    def upload(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        data: MultipartBody[dict[str, Any]],
    ) -> Response[ListOut]:
        form_fields(data, {"file", "dry_run"})
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("validation.required", "缺少上传文件“file”", field="file")
        said = str(data.get("dry_run") or "").strip().lower()
        if said not in TRUE | FALSE:
            raise ValidationFailed("validation.dry_run", "“dry_run”须为 true 或 false", field="dry_run")
        dry_run = said in TRUE
        content = upload.file.read()

        def produce(lease: Lease | None) -> tuple[int, Any]:
            name = upload.filename or "list"
            report = upload_list(
                db, actor, name, content, dry_run=dry_run, committed=noting(lease, "list_id")
            )
            return 201, list_out(report)

        body = content + (b"dry" if dry_run else b"real")
        return posted_with_effect(request, db, actor, body, produce, committed_list(db, actor))

    @post(
        "/json",
        operation_id="uploadListJson",
        sync_to_thread=True,
        status_code=201,
        responses=posted_problems(403, 409, 413, 422),
        summary="以JSON提交申报清单（rows 与模板列同名字段）",
    )
    def upload_json(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ListJsonIn],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[ListOut]:
        content = msgspec.json.encode({"rows": data.rows})

        def produce(lease: Lease | None) -> tuple[int, Any]:
            report = upload_list(
                db, actor, "list.json", content, dry_run=data.dry_run, committed=noting(lease, "list_id")
            )
            return 201, list_out(report)

        body = content + (b"dry" if data.dry_run else b"real")
        return posted_with_effect(request, db, actor, body, produce, committed_list(db, actor))

    @get(
        "/{list_id:int}",
        operation_id="getList",
        sync_to_thread=True,
        responses=problems(404),
        summary="一份清单的逐行处理结果",
    )
    def read(
        self, list_id: FromPath[int], db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> ListOut:
        return list_out(list_outcomes(get_list(db, actor, list_id)))

    @get(
        "/{list_id:int}/result.xlsx",
        operation_id="downloadListResult",
        sync_to_thread=True,
        media_type=XLSX,
        responses=problems(404),
        summary="处理结果文件（.xlsx，每行一个结果）",
    )
    def result(
        self, list_id: FromPath[int], db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> Response[bytes]:
        claim_list = get_list(db, actor, list_id)
        return file_response(result_workbook(claim_list), f"处理结果-清单{list_id}.xlsx", XLSX)
