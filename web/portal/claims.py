"""An agent's claims: the list with its filters and pages, each claim's page (state, deadline,
amount, facts, history, evidence, documents, the steps open now), its evidence files and its
审批表 / 不予批准通知 as PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import claims
from store.access import SignedIn
from store.claims import KINDS
from store.db import Database
from store.documents import claim_document_for_agent
from workflow.errors import NotFound
from workflow.states import STATE_LABELS, SUBSIDY_LABELS

from ..downloads import NOSNIFF, PDF, file_response
from .forms import PAGE, WAITING, claim_filter, fact_inputs
from .guard import portal_context

DOCUMENTS = ("approval_form", "rejection_notice")


def _number(raw: str | None) -> int | None:
    """A whole number typed in a filter; anything else is no filter."""
    text = (raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@get("/", sync_to_thread=False, include_in_schema=False)
def portal_home() -> Redirect:
    """/agent is the organisation's claims."""
    return Redirect("/agent/claims")


class ClaimPages(Controller):
    path = "/claims"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        subsidy_type: FromQuery[str | None] = None,
        year: FromQuery[str | None] = None,
        batch: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> Template:
        f = claim_filter(status, subsidy_type, _number(year), batch, _number(before))
        page = claims.claims_page(db, who.actor, f, PAGE)
        return Template(
            "portal/claims.html",
            context=portal_context(
                request,
                who,
                {
                    "page": page,
                    "filters": f,
                    "state_labels": STATE_LABELS,
                    "subsidy_labels": SUBSIDY_LABELS,
                    "waiting": WAITING,
                },
            ),
        )

    @get("/{claim_id:int}", sync_to_thread=True)
    def claim(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        claim_id: FromPath[int],
    ) -> Template:
        return claim_page(request, db, who, claim_id)

    @get("/{claim_id:int}/evidence/{evidence_id:int}", sync_to_thread=True)
    def evidence_file(
        self,
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        who: NamedDependency[SignedIn],
        claim_id: FromPath[int],
        evidence_id: FromPath[int],
    ) -> Response[bytes]:
        evidence, content = claims.evidence_file(db, files, who.actor, claim_id, evidence_id)
        # Shown inline (PDF and images open in the browser); the type was checked on upload.
        return file_response(content, evidence.filename, evidence.content_type, inline=True, headers=NOSNIFF)

    @get("/{claim_id:int}/documents/{kind:str}", sync_to_thread=True)
    def document(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        claim_id: FromPath[int],
        kind: FromPath[str],
    ) -> Response[bytes]:
        if kind not in DOCUMENTS:
            raise NotFound("not_found.document", "没有这种文书", id=claim_id)
        issued = claim_document_for_agent(db, who.actor, kind, claim_id, str(request.base_url).rstrip("/"))
        return file_response(
            issued.pdf,
            f"{kind}-{claim_id}.pdf",
            PDF,
            inline=True,
            headers={"X-Document-Number": quote(issued.number)},
        )


def claim_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    claim_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    field: str | None = None,
    posted: dict[str, Any] | None = None,
) -> Template:
    """A claim's page; after a refused step, with the reason (and the field it names) and the
    facts as they were posted, so that nothing typed is lost."""
    view = claims.agent_case(db, who.actor, claim_id)
    claim = view.claim
    return Template(
        "portal/claim.html",
        status_code=status,
        context=portal_context(
            request,
            who,
            {
                "view": view,
                "claim": claim,
                "person": claim.person,
                "subsidy_label": SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
                "waiting": WAITING.get(claim.state),
                "fact_inputs": fact_inputs(claim.subsidy_type, posted if posted is not None else claim.facts),
                "evidence_kinds": KINDS,
                "error": error,
                "error_field": field,
                "done": request.query_params.get("done"),
            },
        ),
    )
