"""Agents file claims, follow them, withdraw or correct them, and attach evidence (the
claims' documents are in ``claim_documents``)."""

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import JSONBody, MultipartBody, QueryParameter

from store import claims
from store.claims import KINDS, ClaimInput, add_evidence
from store.db import Database
from store.idempotency import Lease
from store.people import PersonRef
from workflow.errors import ValidationFailed
from workflow.roles import Actor
from workflow.states import ClaimState, SubsidyType

from ..downloads import file_response
from .common import PathId, form_fields, posted_problems, problems
from .operations import EvidenceDownloadOperation, EvidenceUploadOperation
from .respond import encode, noting, posted_with_effect
from .schemas import ClaimIn, ClaimOut, ClaimPage, EvidenceOut, ResubmitIn, StepIn
from .views import claim_out, evidence_out


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("validation.cursor", "分页游标无效", field="cursor") from None


class ClaimController(Controller):
    path = "/claims"
    tags = ["claims"]

    @post(
        "/",
        operation_id="fileClaim",
        sync_to_thread=True,
        status_code=201,
        responses=posted_problems(403, 404, 409, 422),
        summary="提交一份补贴申请（人员以 person_id 或 id_number 指明）",
    )
    def file(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ClaimIn],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[ClaimOut]:
        def produce(lease: Lease | None) -> tuple[int, Any]:
            filed = claims.file_and_read(
                db,
                actor,
                PersonRef(data.person_id, data.id_number),
                lambda person_id: ClaimInput(
                    data.subsidy_type.value,
                    person_id,
                    data.policy_year,
                    data.facts.record(),
                    data.contract_id,
                ),
                noting(lease, "claim_id"),
            )
            return 201, claim_out(filed, db.vault)

        def recover(note: dict[str, Any]) -> tuple[int, Any]:  # its process died after the claim committed
            return 201, claim_out(claims.claim_detail(db, actor, int(note["claim_id"])), db.vault)

        return posted_with_effect(request, db, actor, encode(data), produce, recover)

    @get(
        "/",
        operation_id="listClaims",
        sync_to_thread=True,
        responses=problems(422),
        summary="本单位的补贴申请（按编号倒序，游标分页）",
    )
    def index(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        claim_state: Annotated[ClaimState | None, QueryParameter(name="state", description="状态")] = None,
        subsidy_type: Annotated[SubsidyType | None, QueryParameter(description="补贴类型")] = None,
        year: Annotated[int | None, QueryParameter(ge=2000, le=2100, description="政策年度")] = None,
        batch: Annotated[str | None, QueryParameter(max_length=40, description="清单批次")] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> ClaimPage:
        f = claims.ClaimFilter(
            state=claim_state.value if claim_state is not None else None,
            subsidy_type=subsidy_type.value if subsidy_type is not None else None,
            year=year,
            batch=batch,
            before_id=_cursor(cursor),
        )
        found, more = claims.claims(db, actor, f, limit)
        items = [claim_out(c, db.vault) for c in found]
        token = (
            base64.urlsafe_b64encode(str(items[-1].id).encode()).decode().rstrip("=")
            if more and items
            else None
        )
        return ClaimPage(items=items, next_cursor=token)

    @get(
        "/{claim_id:int}",
        operation_id="getClaim",
        sync_to_thread=True,
        responses=problems(404),
        summary="一份申请：状态、金额、规则、期限、办理记录",
    )
    def read(
        self, claim_id: PathId, db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> ClaimOut:
        return claim_out(claims.claim_detail(db, actor, claim_id), db.vault)

    @post(
        "/{claim_id:int}/withdraw",
        operation_id="withdrawClaim",
        sync_to_thread=True,
        status_code=200,
        responses=posted_problems(403, 404, 409, 422),
        summary="撤回申请（人社审核前）",
    )
    def withdraw(
        self,
        request: Request[Any, Any, Any],
        claim_id: PathId,
        data: JSONBody[StepIn],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[ClaimOut]:
        def produce(lease: Lease | None) -> tuple[int, Any]:
            done = claims.withdraw(db, actor, claim_id, data.comment, data.version, noting(lease, "claim_id"))
            return 200, claim_out(done, db.vault)

        return posted_with_effect(request, db, actor, encode(data), produce, self._as_now(db, actor))

    @post(
        "/{claim_id:int}/resubmit",
        operation_id="resubmitClaim",
        sync_to_thread=True,
        status_code=200,
        responses=posted_problems(403, 404, 409, 422),
        summary="修改事实后重新提交被退回的申请",
    )
    def resubmit(
        self,
        request: Request[Any, Any, Any],
        claim_id: PathId,
        data: JSONBody[ResubmitIn],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[ClaimOut]:
        def produce(lease: Lease | None) -> tuple[int, Any]:
            facts = data.facts.record() if data.facts else None
            done = claims.resubmit(db, actor, claim_id, facts, data.version, noting(lease, "claim_id"))
            return 200, claim_out(done, db.vault)

        return posted_with_effect(request, db, actor, encode(data), produce, self._as_now(db, actor))

    @staticmethod
    def _as_now(db: Database, actor: Actor) -> Callable[[dict[str, Any]], tuple[int, Any]]:
        """A step whose process died after it committed: the retry answers the claim as it is."""
        return lambda note: (200, claim_out(claims.claim_detail(db, actor, int(note["claim_id"])), db.vault))

    @post(
        "/{claim_id:int}/evidence",
        operation_id="uploadEvidence",
        sync_to_thread=True,
        status_code=201,
        responses=posted_problems(404, 413, 422),
        summary=f"上传证明材料（PDF/JPEG/PNG；类别：{'、'.join(KINDS)}）",
        operation_class=EvidenceUploadOperation,
    )
    def upload(
        self,
        request: Request[Any, Any, Any],
        claim_id: PathId,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        files: NamedDependency[Path],
        data: MultipartBody[dict[str, Any]],
    ) -> Response[EvidenceOut]:
        form_fields(data, {"file", "kind"})
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("validation.required", "缺少上传文件“file”", field="file")
        content = upload.file.read()
        kind = str(data.get("kind") or "other")

        def produce(lease: Lease | None) -> tuple[int, Any]:
            made = noting(lease, "evidence_id")
            evidence = add_evidence(db, files, actor, claim_id, upload.filename, content, kind, made)
            return 201, evidence_out(evidence)

        def recover(note: dict[str, Any]) -> tuple[int, Any]:  # its process died after the file committed
            kept = claims.evidence_of(db, actor, claim_id)
            return 201, next(evidence_out(e) for e in kept if e.id == int(note["evidence_id"]))

        body = content + kind.encode() + upload.filename.encode()
        return posted_with_effect(request, db, actor, body, produce, recover)

    @get(
        "/{claim_id:int}/evidence", operation_id="listEvidence", sync_to_thread=True, responses=problems(404)
    )
    def evidence(
        self, claim_id: PathId, db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> list[EvidenceOut]:
        return [evidence_out(e) for e in claims.evidence_of(db, actor, claim_id)]

    @get(
        "/{claim_id:int}/evidence/{evidence_id:int}",
        operation_id="downloadEvidence",
        sync_to_thread=True,
        responses=problems(404),
        media_type="application/octet-stream",
        operation_class=EvidenceDownloadOperation,
    )
    def download(
        self,
        claim_id: PathId,
        evidence_id: PathId,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        files: NamedDependency[Path],
    ) -> Response[bytes]:
        evidence, content = claims.evidence_file(db, files, actor, claim_id, evidence_id)
        return file_response(
            content, evidence.filename, evidence.content_type, headers={"X-Content-SHA256": evidence.sha256}
        )
