"""The steps an agent takes on a claim from its page: withdraw it, resubmit a returned claim
with corrected facts, attach evidence (a file upload). A refused step shows the claim's page
again with the reason in Chinese and the field it names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from store import claims
from store.access import SignedIn
from store.claims import add_evidence
from store.db import Database
from workflow.errors import Conflict, DomainError, ValidationFailed

from ..i18n import N_
from ..pages.cases import form_value
from ..uploads import chosen_file
from .claims import claim_page

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
UPLOAD = Body(media_type=RequestEncodingType.MULTI_PART)
STALE = N_("该申请已被其他人处理或修改，请查看最新状态后再操作。")
FACT = "fact_"  # the facts form's fields: fact_<name>


def _version(data: dict[str, Any]) -> int | None:
    raw = form_value(data, "version")
    return int(raw) if raw.isdigit() else None


def _refused(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    claim_id: int,
    exc: DomainError,
    posted: dict[str, Any] | None = None,
) -> Response[Any]:
    message = STALE if isinstance(exc, Conflict) else exc.message
    field = exc.details.get("field")
    return claim_page(
        request,
        db,
        who,
        claim_id,
        status=exc.status,
        error=message,
        field=str(field) if field else None,
        posted=posted,
    )


class ClaimSteps(Controller):
    path = "/claims/{claim_id:int}"
    include_in_schema = False

    @post("/withdraw", sync_to_thread=True, status_code=303)
    def withdraw(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        claim_id: FromPath[int],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        comment = form_value(data, "comment").strip() or None
        try:
            claims.withdraw(db, who.actor, claim_id, comment, _version(data))
        except DomainError as exc:
            return _refused(request, db, who, claim_id, exc)
        return Redirect(f"/agent/claims/{claim_id}?done=withdraw", status_code=303)

    @post("/resubmit", sync_to_thread=True, status_code=303)
    def resubmit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        claim_id: FromPath[int],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        # Every fact the form shows, as typed: an empty field is left out, a ticked box is 是.
        facts = {
            key[len(FACT) :]: value
            for key in data
            if key.startswith(FACT) and (value := form_value(data, key).strip())
        }
        try:
            claims.resubmit(db, who.actor, claim_id, facts, _version(data))
        except DomainError as exc:
            return _refused(request, db, who, claim_id, exc, posted=facts)
        return Redirect(f"/agent/claims/{claim_id}?done=resubmit", status_code=303)

    @post("/evidence", sync_to_thread=True, status_code=303)
    def evidence(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        who: NamedDependency[SignedIn],
        claim_id: FromPath[int],
        data: Annotated[dict[str, Any], UPLOAD],
    ) -> Response[Any]:
        upload = chosen_file(data)
        kind = form_value(data, "kind") or "other"
        try:
            if upload is None:
                raise ValidationFailed("validation.required", "请选择要上传的文件", field="file")
            add_evidence(db, files, who.actor, claim_id, upload.filename, upload.file.read(), kind)
        except DomainError as exc:
            return _refused(request, db, who, claim_id, exc)
        return Redirect(f"/agent/claims/{claim_id}?done=evidence#evidence", status_code=303)
