"""What an agent's own pages show beyond the API's answers: a claim's page (the steps open to the
agent now, the documents it may have), a page of claims with masked ID numbers, and a list
checked first and filed afterwards from the very file that was checked (kept encrypted in
between, for a day at most), with the organisation's recent lists. Another organisation's
claim or list is not found, whatever is asked of it."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from workflow import engine
from workflow.errors import ValidationFailed
from workflow.guards import ABSORPTION_TYPES, Absorption
from workflow.identity import mask
from workflow.machines import CLAIM
from workflow.roles import Actor

from ..db import Database
from ..guard_inputs import absorption_of
from ..models import Claim, ClaimHistory, ClaimList, Evidence, Organisation
from .agent_view import ClaimFilter, claims
from .case_view import claim_documents
from .evidence import list_evidence, owned_claim
from .list_report import ListReport, get_list, list_outcomes
from .lists import upload_list

CHECKED = "checked-lists"  # under the files root: the files of dry runs not yet filed
KEEP = timedelta(days=1)  # how long a checked file waits to be filed


@dataclass(frozen=True)
class AgentCase:
    claim: Claim  # with its person
    claimant: str  # the organisation's name
    id_masked: str
    history: list[ClaimHistory]
    evidence: list[Evidence]
    steps: tuple[str, ...]  # the triggers the agent may take now (withdraw, resubmit)
    documents: tuple[str, ...]  # the documents the claim may have
    absorption: Absorption | None  # for the subsidies that count absorbed persons
    now: datetime


def agent_case(db: Database, actor: Actor, claim_id: int) -> AgentCase:
    """A claim of the agent's organisation as its page shows it."""
    now = db.clock.now()
    with db.transaction() as session:
        claim = owned_claim(session, actor, claim_id)
        history = list(
            session.scalars(
                select(ClaimHistory).where(ClaimHistory.claim_id == claim.id).order_by(ClaimHistory.id)
            )
        )
        evidence = list_evidence(session, claim.id)
        absorption = (
            absorption_of(
                session, claim.claimant_org_id, claim.subsidy_type, claim.policy_year, claim.params_version_id
            )
            if claim.subsidy_type in ABSORPTION_TYPES
            else None
        )
        claimant = session.get_one(Organisation, claim.claimant_org_id).name
        person = claim.person
    steps = tuple(s.trigger for s in engine.available(CLAIM, claim, actor, now))
    return AgentCase(
        claim=claim,
        claimant=claimant,
        id_masked=mask(db.vault.decrypt(person.id_number_enc)),
        history=history,
        evidence=evidence,
        steps=steps,
        documents=claim_documents(claim),
        absorption=absorption,
        now=now,
    )


@dataclass(frozen=True)
class ClaimLine:
    claim: Claim  # with its person
    id_masked: str


@dataclass(frozen=True)
class ClaimsPage:
    lines: list[ClaimLine]
    next_before: int | None  # the next page starts after the claim with this id
    organisation: str
    now: datetime


def claims_page(db: Database, actor: Actor, f: ClaimFilter, limit: int = 50) -> ClaimsPage:
    """A page of the organisation's claims, newest first, each person's ID number masked."""
    found, more = claims(db, actor, f, limit)
    with db.transaction() as session:
        org = session.get(Organisation, actor.org_id) if actor.org_id is not None else None
    lines = [ClaimLine(c.claim, mask(db.vault.decrypt(c.claim.person.id_number_enc))) for c in found]
    return ClaimsPage(
        lines,
        lines[-1].claim.id if more and lines else None,
        org.name if org is not None else "",
        db.clock.now(),
    )


# ------------------------------------------------------------------------------------ lists
@dataclass(frozen=True)
class ListLine:
    id: int
    filename: str
    dry_run: bool
    rows_total: int
    rows_accepted: int
    rows_refused: int
    created_at: datetime


def recent_lists(db: Database, actor: Actor, limit: int = 20) -> list[ListLine]:
    """The organisation's latest uploads, dry runs included, newest first."""
    if actor.org_id is None:
        return []
    columns = (
        ClaimList.id,
        ClaimList.filename,
        ClaimList.dry_run,
        ClaimList.rows_total,
        ClaimList.rows_accepted,
        ClaimList.rows_refused,
        ClaimList.created_at,
    )
    with db.transaction() as session:
        newest = select(*columns).where(ClaimList.org_id == actor.org_id).order_by(ClaimList.id.desc())
        rows = session.execute(newest.limit(limit))
        return [ListLine(*row) for row in rows]


def _kept(files: Path, list_id: int) -> Path:
    return files / CHECKED / str(list_id)


def check_list(db: Database, files: Path, actor: Actor, filename: str, content: bytes) -> ListReport:
    """A dry run of an uploaded list (every row checked, nothing filed); when some rows would be
    accepted, the file is kept, encrypted, so that it can be filed as it was checked."""
    report = upload_list(db, actor, filename, content, dry_run=True)
    if report.rows_accepted:
        _forget_old(files / CHECKED)
        path = _kept(files, report.list_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        part.write_text(db.vault.encrypt(base64.b64encode(content).decode("ascii")), encoding="ascii")
        os.replace(part, path)  # atomic: a reader never sees half a file
    return report


def _forget_old(folder: Path) -> None:
    """Checked files never filed are deleted after a day (their ID numbers with them)."""
    if not folder.is_dir():
        return
    limit = time.time() - KEEP.total_seconds()
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            continue  # another request took it first


@dataclass(frozen=True)
class ListView:
    report: ListReport
    filename: str
    created_at: datetime
    can_file: bool  # a dry run whose file is still kept and young enough to be filed


def list_view(db: Database, files: Path, actor: Actor, list_id: int) -> ListView:
    """A list of the organisation with every row's outcome, and whether it can still be filed."""
    checked = get_list(db, actor, list_id)
    fresh = db.clock.now() - checked.created_at <= KEEP
    return ListView(
        list_outcomes(checked),
        checked.filename,
        checked.created_at,
        checked.dry_run and fresh and _kept(files, checked.id).is_file(),
    )


def file_checked_list(db: Database, files: Path, actor: Actor, list_id: int) -> ListReport:
    """File the list a dry run checked, from the file it checked (every row is checked again:
    what changed since is seen). The kept file is taken first, so a second press files nothing."""
    checked = get_list(db, actor, list_id)
    if not checked.dry_run:
        raise ValidationFailed("validation.list_filed", "该清单已正式提交，不能再次提交", field="file")
    path = _kept(files, list_id)
    taken = path.with_suffix(".filing")
    expired = ValidationFailed(
        "validation.list_expired",
        "检查结果已失效（已提交过或已超过一天），请重新上传清单并检查",
        field="file",
    )
    if db.clock.now() - checked.created_at > KEEP:
        path.unlink(missing_ok=True)
        raise expired
    try:
        os.replace(path, taken)  # only one request can take it
    except FileNotFoundError:
        raise expired from None
    content = base64.b64decode(db.vault.decrypt(taken.read_text(encoding="ascii")))
    if hashlib.sha256(content).hexdigest() != checked.sha256:  # not the file that was checked
        taken.unlink(missing_ok=True)
        raise expired
    try:
        report = upload_list(db, actor, checked.filename, content, dry_run=False)
    except BaseException:
        os.replace(taken, path)  # not filed: it can be tried again
        raise
    taken.unlink(missing_ok=True)
    return report
