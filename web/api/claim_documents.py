"""Agents download the documents of their own claims: the 审批表 and the 不予批准通知 as PDF."""

from enum import StrEnum
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from store.db import Database
from store.documents import claim_document_for_agent
from workflow.roles import Actor

from ..downloads import PDF, file_response
from .common import PathId, problems
from .operations import PdfOperation


class DocumentKind(StrEnum):
    APPROVAL_FORM = "approval_form"
    REJECTION_NOTICE = "rejection_notice"


class ClaimDocumentController(Controller):
    """审批表 and 不予批准通知 for an agent's own claim: numbered, with a verification code."""

    path = "/claims"
    tags = ["claims"]

    @get(
        "/{claim_id:int}/documents/{kind:str}",
        operation_id="downloadClaimDocument",
        sync_to_thread=True,
        media_type="application/pdf",
        responses=problems(404, 413, 422, 503),
        operation_class=PdfOperation,
        summary="申请的文书（approval_form 审批表；rejection_notice 不予批准通知），PDF",
    )
    def document(
        self,
        request: Request[Any, Any, Any],
        claim_id: PathId,
        kind: FromPath[DocumentKind],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[bytes]:
        issued = claim_document_for_agent(db, actor, kind.value, claim_id, str(request.base_url).rstrip("/"))
        return file_response(
            issued.pdf,
            f"{kind.value}-{claim_id}.pdf",
            PDF,
            inline=True,
            headers={"X-Document-Number": quote(issued.number)},
        )
