"""Documents: issued from the case and contract pages (PDF), checked by anyone at /verify."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from store.access import SignedIn
from store.db import Database
from store.documents import claim_document_for_staff, contract_document_for_staff, verify
from workflow.errors import NotFound

from ..deps import STORES
from ..downloads import PDF, file_response
from .guard import language

CLAIM_DOCUMENTS = {"approval_form": "审批表", "rejection_notice": "不予批准通知"}
CONTRACT_DOCUMENTS = {"contract": "公益性岗位协议", "renewal_notice": "到期提醒"}


def base_url(request: Request[Any, Any, Any]) -> str:
    """Where a QR code should lead: this site, as the person printing it reached it."""
    return str(request.base_url).rstrip("/")


class DocumentController(Controller):
    """Staff download: the numbered document of the case as it stands (a new number only when
    what it shows changed; the register keeps it)."""

    path = "/"
    include_in_schema = False

    @get("/claims/{claim_id:int}/documents/{kind:str}", sync_to_thread=True)
    def claim_document(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        claim_id: FromPath[int],
        kind: FromPath[str],
        who: NamedDependency[SignedIn],
    ) -> Response[bytes]:
        if kind not in CLAIM_DOCUMENTS:
            raise NotFound("not_found.document", "没有这种文书", kind=kind)
        issued = claim_document_for_staff(db, who.actor, kind, claim_id, base_url(request))
        return file_response(issued.pdf, f"{CLAIM_DOCUMENTS[kind]}-{claim_id}.pdf", PDF, inline=True)

    @get("/contracts/{contract_id:int}/documents/{kind:str}", sync_to_thread=True)
    def contract_document(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        contract_id: FromPath[int],
        kind: FromPath[str],
        who: NamedDependency[SignedIn],
    ) -> Response[bytes]:
        if kind not in CONTRACT_DOCUMENTS:
            raise NotFound("not_found.document", "没有这种文书", kind=kind)
        issued = contract_document_for_staff(db, who.actor, kind, contract_id, base_url(request))
        return file_response(issued.pdf, f"{CONTRACT_DOCUMENTS[kind]}-{contract_id}.pdf", PDF, inline=True)


class VerifyController(Controller):
    """Public: is this document genuine and current? Says nothing about the person."""

    path = "/verify"
    include_in_schema = False
    dependencies = STORES

    @get("/{code:str}", sync_to_thread=True)
    def check(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], code: FromPath[str]
    ) -> Template:
        result = verify(db, code[:64])
        return Template(
            "verify.html",
            status_code=200 if result.status != "unknown" else 404,
            context={"lang": language(request), "result": result},
        )
