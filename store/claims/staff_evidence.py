"""Evidence staff attach on the case page (a village verifier's photo from the phone, HR's scan)
under the API's rules (type by content, size, kinds), and the evidence thumbnails the page shows,
made once with Pillow and kept beside the files."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps

from workflow.errors import InvalidTransition, NotFound, TransitionRefused, ValidationFailed
from workflow.roles import Actor, Role
from workflow.states import CLAIM_DEAD_STATES, ClaimState

from .. import heavy
from ..db import Database
from ..models import Evidence
from .case_view import visible_claim
from .evidence import KINDS, MAX_PIXELS, evidence_of_claim, keep_evidence, read_evidence, write_atomically

ATTACHERS = frozenset({Role.VILLAGE, Role.HR})
CLOSED = CLAIM_DEAD_STATES | {ClaimState.FINANCE_PAID}
THUMB_PX = 240  # the long edge of a thumbnail: shown at 120 CSS pixels, sharp on a phone's screen
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # larger than any phone photo; a bigger "image" is refused


def may_attach(actor: Actor, state: str) -> bool:
    """Whether the case page offers this staff member the upload (the claim is seen already)."""
    return bool(actor.roles & ATTACHERS) and state not in CLOSED


def attach_evidence(
    db: Database, root: Path, actor: Actor, claim_id: int, filename: str, content: bytes, kind: str
) -> Evidence:
    """A file staff attach to a claim they see and may still act on; the type, size and kinds
    are the agents' upload's (``evidence.store_bytes``)."""
    if kind not in KINDS:
        raise ValidationFailed("validation.evidence_kind", "请选择材料类别", field="kind")
    with db.transaction() as session:
        claim = visible_claim(session, actor, claim_id)
        if not actor.roles & ATTACHERS:
            raise TransitionRefused("evidence.not_allowed", "您的角色不能为申请上传证明材料")
        if claim.state in CLOSED:
            raise InvalidTransition("evidence.claim_closed", "该申请已办结，不能再上传证明材料")
        return keep_evidence(session, db, root, actor, claim_id, filename, content, kind)


def evidence_thumbnail(db: Database, root: Path, actor: Actor, claim_id: int, evidence_id: int) -> bytes:
    """The thumbnail (JPEG) of an image of a claim the staff member sees; a PDF has none."""
    with db.transaction() as session:
        visible_claim(session, actor, claim_id)
        evidence = evidence_of_claim(session, claim_id, evidence_id)
    made = thumbnail(root, evidence)
    if made is None:
        raise NotFound("not_found.thumbnail", "该材料没有缩略图", id=evidence_id)
    return made


def thumbnail_path(root: Path, sha256: str) -> Path:
    return root / "thumbs" / sha256[:2] / f"{sha256}-{THUMB_PX}.jpg"


def thumbnail(root: Path, evidence: Evidence) -> bytes | None:
    """Made on first request from the stored file (checked against its SHA-256), then read from
    disk: the same file under any claim shares one thumbnail. ``None`` for what is no picture."""
    if not evidence.content_type.startswith("image/"):
        return None
    path = thumbnail_path(root, evidence.sha256)
    if path.exists():
        return path.read_bytes()
    try:
        made = heavy.run(shrink, read_evidence(root, evidence))  # in a worker process
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None  # a damaged picture: the page shows its name instead
    write_atomically(path, made)  # two pages asking at once each write a copy of their own
    return made


def shrink(content: bytes) -> bytes:
    with Image.open(BytesIO(content)) as image:
        image.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))  # a JPEG is decoded at a fraction of its size
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((THUMB_PX, THUMB_PX))
        if upright.mode in ("RGBA", "LA", "P"):  # transparency on white, not black
            rgba = upright.convert("RGBA")
            upright = Image.new("RGB", rgba.size, "white")
            upright.paste(rgba, mask=rgba.getchannel("A"))
        elif upright.mode != "RGB":
            upright = upright.convert("RGB")
        out = BytesIO()
        upright.save(out, "JPEG", quality=75, optimize=True)
        return out.getvalue()
