"""Evidence files: type checked by content, stored outside the database under their SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import NotFound, ValidationFailed
from workflow.lists.limits import LimitExceeded
from workflow.roles import Actor

from ..db import Database
from ..models import Claim, Evidence

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000  # larger than any phone photo's; Pillow refuses twice this by itself
KINDS = {
    "list": "人员名单",
    "income_proof": "务工收入证明",
    "contract": "劳动合同或协议",
    "wage_slip": "工资发放凭证",
    "attendance": "考勤记录",
    "certificate": "结业证书",
    "other": "其他材料",
}
# Magic numbers: what a file is comes from its first bytes, never from its name.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str
    extension: str


def sniff(content: bytes) -> tuple[str, str]:
    for magic, content_type, extension in SIGNATURES:
        if content.startswith(magic):
            return content_type, extension
    raise ValidationFailed(
        "validation.evidence_type", "证明材料只接受PDF、JPEG或PNG文件（按文件内容判断）", field="file"
    )


def store_bytes(root: Path, content: bytes) -> StoredFile:
    if not content:
        raise ValidationFailed("validation.evidence_empty", "上传的文件是空的", field="file")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            "validation.evidence_too_large", f"单个文件不能超过{MAX_BYTES // (1024 * 1024)}MB", field="file"
        )
    content_type, extension = sniff(content)
    if content_type.startswith("image/"):
        check_pixels(content)
    digest = hashlib.sha256(content).hexdigest()
    path = path_for(root, digest)
    if not path.exists():
        write_atomically(path, content)
    return StoredFile(digest, len(content), content_type, extension)


def check_pixels(content: bytes) -> None:
    """A picture's size as its header declares it, read without decoding it: one that would
    take more than ``MAX_PIXELS`` to decode (a few KB can declare 100,000 × 100,000) is refused;
    a thumbnail is only ever made of what passed (``staff_evidence``)."""
    from PIL import Image

    try:
        with Image.open(BytesIO(content)) as image:
            width, height = image.size
        size = f"{width}×{height}像素" if width * height > MAX_PIXELS else None
    except Image.DecompressionBombError:  # past twice the limit: Pillow refuses it itself
        size = "像素"
    except (OSError, SyntaxError, ValueError):
        return  # a header Pillow cannot read: kept as before (its page shows the name, no thumbnail)
    if size is not None:
        raise LimitExceeded(
            "validation.evidence_pixels",
            f"图片{size}超过上限（{MAX_PIXELS // 1_000_000}百万像素），请缩小后上传",
            field="file",
            limit=MAX_PIXELS,
        )


def write_atomically(path: Path, content: bytes) -> None:
    """``content`` at ``path``, whole or not at all: written to a temporary file of this writer's
    own, then renamed over. Requests storing the same file at once (the same SHA-256, the same
    path) each rename their own copy, the last one staying; none finds another's half-written
    or already-moved temporary file (a shared ``.part`` name did: 2 of 60 were 500s)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(temp, path)  # atomic: a reader never sees half a file
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def owned_claim(session: Session, actor: Actor, claim_id: int) -> Claim:
    """The claim if the actor's organisation filed it; otherwise it does not exist for them."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.claimant_org_id != actor.org_id:
        raise NotFound("not_found.claim", "未找到该申请", id=claim_id)
    return claim


def add_evidence(
    db: Database,
    root: Path,
    actor: Actor,
    claim_id: int,
    filename: str,
    content: bytes,
    kind: str = "other",
    committed: Callable[[Session, int], None] | None = None,
) -> Evidence:
    """Keep a file for the actor's claim; ``committed`` is called last in its transaction with
    the evidence id (an Idempotency-Key notes it there)."""
    if kind not in KINDS:
        raise ValidationFailed("validation.evidence_kind", f"材料类别须为：{'、'.join(KINDS)}", field="kind")
    with db.transaction() as session:
        owned_claim(session, actor, claim_id)
        evidence = keep_evidence(session, db, root, actor, claim_id, filename, content, kind)
        if committed is not None:
            committed(session, evidence.id)
        return evidence


def keep_evidence(
    session: Session,
    db: Database,
    root: Path,
    actor: Actor,
    claim_id: int,
    filename: str,
    content: bytes,
    kind: str,
) -> Evidence:
    """The file stored (``store_bytes``: type by content, size) and its row added to the claim,
    once the caller has checked the actor may attach it."""
    stored = store_bytes(root, content)
    # Control characters (a NUL above all, which PostgreSQL cannot store) are dropped.
    printable = "".join(ch for ch in Path(filename or "").name if ch.isprintable())
    evidence = Evidence(
        claim_id=claim_id,
        kind=kind,
        filename=printable[:150] or f"材料{stored.extension}",
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor.user_id,
        uploaded_at=db.clock.now(),
    )
    session.add(evidence)
    session.flush()
    return evidence


def list_evidence(session: Session, claim_id: int) -> list[Evidence]:
    return list(session.scalars(select(Evidence).where(Evidence.claim_id == claim_id).order_by(Evidence.id)))


def evidence_of_claim(session: Session, claim_id: int, evidence_id: int) -> Evidence:
    """One piece of the claim's evidence; another claim's answers as one that does not exist."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.claim_id != claim_id:
        raise NotFound("not_found.evidence", "未找到该材料", id=evidence_id)
    return evidence


def read_evidence(root: Path, evidence: Evidence) -> bytes:
    content = path_for(root, evidence.sha256).read_bytes()
    if hashlib.sha256(content).hexdigest() != evidence.sha256:
        raise NotFound("not_found.evidence_damaged", "材料文件校验失败，请联系管理员")
    return content
