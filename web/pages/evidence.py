"""Evidence on the case page: staff attach a file (a phone's photo, resized by the browser when
it runs web/static/evidence.js) and see each image as a thumbnail, the file itself on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from store import claims
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError

from ..i18n import N_
from ..uploads import chosen_file
from .cases import case_page

MULTIPART = Body(media_type=RequestEncodingType.MULTI_PART)
# Evidence rows never change: a thumbnail's URL always names the same picture.
THUMB_CACHE = "private, max-age=2592000, immutable"


class EvidenceController(Controller):
    path = "/claims/{claim_id:int}/evidence"
    include_in_schema = False

    @post("/", sync_to_thread=True, status_code=303)
    def attach(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        claim_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], MULTIPART],
    ) -> Response[Any]:
        upload = chosen_file(data)  # two pickers send "file": the camera's and the gallery's
        kind = str(data.get("kind") or "")
        if upload is None:
            return case_page(request, db, who, claim_id, status=422, error=N_("请选择要上传的照片或文件"))
        try:
            claims.attach_evidence(db, files, who.actor, claim_id, upload.filename, upload.file.read(), kind)
        except DomainError as exc:
            return case_page(request, db, who, claim_id, status=exc.status, error=exc.message)
        return Redirect(f"/claims/{claim_id}?attached=1#evidence", status_code=303)

    @get("/{evidence_id:int}/thumb", sync_to_thread=True)
    def thumbnail(
        self,
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        claim_id: FromPath[int],
        evidence_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Response[bytes]:
        picture = claims.evidence_thumbnail(db, files, who.actor, claim_id, evidence_id)
        return Response(
            picture,
            media_type="image/jpeg",
            headers={"Cache-Control": THUMB_CACHE, "X-Content-Type-Options": "nosniff"},
        )
