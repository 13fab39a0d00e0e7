"""Imports of places and persons (导入): a file read and checked row by row by the same pieces
as a claim list (``workflow.lists``: parse, headers, cells, rows, template, result), written in
one transaction, and kept as a run with every row's outcome (ID and bank numbers masked).

The page checks a file first (a dry run: nothing written, the file kept encrypted with the
run) and then loads exactly that file (``load_import``); a file may also be loaded at once.
Places are the admin's (乡镇和行政村); persons the admin's or HR's, who register people
anyway. A run is seen by whoever may import its kind.
"""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow.errors import Conflict, NotFound, TransitionRefused
from workflow.lists.cells import cell_masker, clean_text
from workflow.lists.headers import field_of
from workflow.lists.imports import IMPORT_RESULT, KINDS, ImportKind, import_template
from workflow.lists.limits import refuse_early
from workflow.lists.result import result_workbook_bytes
from workflow.lists.upload import read_upload
from workflow.roles import Actor, Role

from .. import heavy
from ..claims.list_report import MAX_ID
from ..db import Database
from ..models import User
from .models import ImportRun
from .outcomes import STATUSES, ImportReport, ImportRow, row_of, stored_row
from .person_rows import import_persons
from .place_rows import import_places

MAY = {"places": frozenset({Role.ADMIN}), "persons": frozenset({Role.ADMIN, Role.HR})}


def import_kind(actor: Actor, kind: str) -> ImportKind:
    """The kind of import, if the actor may import it."""
    if kind not in KINDS:
        raise NotFound("not_found.import_kind", "没有这种导入", kind=kind[:20])
    if actor.roles & MAY[kind]:
        return KINDS[kind]
    if kind == "places":
        raise TransitionRefused("imports.forbidden", "只有系统管理员可以导入乡镇和行政村")
    raise TransitionRefused("imports.forbidden", "只有人社部门工作人员或系统管理员可以导入人员")


def kinds_for(actor: Actor) -> list[ImportKind]:
    """The kinds of import the actor may use, places first."""
    return [KINDS[k] for k in KINDS if actor.roles & MAY[k]]


def template_for(actor: Actor, kind: str) -> tuple[str, bytes]:
    """The template of a kind of import: (file name, .xlsx)."""
    found = import_kind(actor, kind)
    return f"{found.label}导入模板.xlsx", import_template(found)


def upload_import(
    db: Database, actor: Actor, kind: str, filename: str, content: bytes, *, dry_run: bool = True
) -> ImportReport:
    """Check every row of a file of places or persons and write them unless ``dry_run``.

    Raises ``ValidationFailed`` (``validation.list_*``) for a file that cannot be read at all
    and ``TransitionRefused`` for an actor who may not import this kind."""
    found = import_kind(actor, kind)
    with db.transaction() as session:
        run = _run(session, db, actor, found, filename, content, dry_run)
        return _report(session, run)


def load_import(db: Database, actor: Actor, run_id: int) -> ImportReport:
    """Load the file a dry run checked, checked again as it is loaded (the places or persons
    may have changed since); the dry run's kept file is then dropped."""
    with db.transaction() as session:
        checked = _get(session, actor, run_id, lock=True)
        if not checked.dry_run or checked.pending_file is None:
            raise Conflict("conflict.import_loaded", "这次校验的文件已经导入或已被新的校验替换，请重新上传")
        content = base64.b64decode(db.vault.decrypt(checked.pending_file))
        run = _run(session, db, actor, KINDS[checked.kind], checked.filename, content, dry_run=False)
        checked.pending_file, checked.loaded_as = None, run.id
        return _report(session, run)


def import_report(db: Database, actor: Actor, run_id: int) -> ImportReport:
    with db.transaction() as session:
        return _report(session, _get(session, actor, run_id))


def import_result(db: Database, actor: Actor, run_id: int) -> tuple[str, bytes]:
    """The result file of a run: (file name, .xlsx), every row with its outcome."""
    with db.transaction() as session:
        run = _get(session, actor, run_id)
        outcomes = run.outcomes or {}
        content = result_workbook_bytes(
            outcomes.get("headers", []),
            outcomes.get("rows", []),
            filename=run.filename,
            dry_run=run.dry_run,
            created_at=run.created_at,
            list_id=run.id,
            layout=IMPORT_RESULT,
        )
        return f"{KINDS[run.kind].label}导入结果-{run.id}.xlsx", content


def recent_imports(db: Database, actor: Actor, limit: int = 20) -> list[ImportReport]:
    """The last runs of the kinds the actor may import, newest first, without their rows."""
    kinds = [k.code for k in kinds_for(actor)]
    with db.transaction() as session:
        runs = session.scalars(
            select(ImportRun).where(ImportRun.kind.in_(kinds)).order_by(ImportRun.id.desc()).limit(limit)
        ).all()
        return [_report(session, run, rows=False) for run in runs]


def _run(
    session: Session,
    db: Database,
    actor: Actor,
    kind: ImportKind,
    filename: str,
    content: bytes,
    dry_run: bool,
) -> ImportRun:
    refuse_early(content)  # most bombs, before they take a worker
    raw, read = heavy.run(read_upload, filename, content, kind.code)  # in a worker process
    now = db.clock.now()
    if dry_run:  # a newer check of the same kind by the same person replaces the kept file
        session.execute(
            update(ImportRun)
            .where(ImportRun.uploaded_by == actor.user_id, ImportRun.kind == kind.code)
            .where(ImportRun.pending_file.is_not(None))
            .values(pending_file=None)
        )
    run = ImportRun(
        kind=kind.code,
        uploaded_by=actor.user_id,
        filename=clean_text(filename or "")[-200:],
        file_format=raw.file_format,
        sha256=hashlib.sha256(content).hexdigest(),
        dry_run=dry_run,
        outcomes={},
        created_at=now,
        pending_file=db.vault.encrypt(base64.b64encode(content).decode()) if dry_run else None,
    )
    session.add(run)
    session.flush()  # the first write: on SQLite the run holds the write lock from here
    valid = [r for r in read if not isinstance(r, tuple)]
    if kind.code == "places":
        done = import_places(session, valid, dry_run)
    else:
        done = import_persons(session, db, valid, dry_run, now)
    masked = cell_masker(raw.headers, kind.columns)
    stored = []
    counts = dict.fromkeys(STATUSES, 0)
    for (number, cells), item in zip(raw.rows, read, strict=True):
        outcome = ImportRow(number, "refused", errors=item) if isinstance(item, tuple) else done[number]
        counts[outcome.status] += 1
        stored.append(stored_row(masked(cells), outcome))
    run.rows_total = len(stored)
    run.rows_created, run.rows_updated = counts["created"], counts["updated"]
    run.rows_unchanged, run.rows_refused = counts["unchanged"], counts["refused"]
    run.outcomes = {"headers": list(raw.headers), "rows": stored}
    return run


def _get(session: Session, actor: Actor, run_id: int, lock: bool = False) -> ImportRun:
    """A run of a kind the actor may import; any other is not found."""
    run = session.get(ImportRun, run_id, with_for_update=lock or None) if 1 <= run_id <= MAX_ID else None
    if run is None or not actor.roles & MAY.get(run.kind, frozenset()):
        raise NotFound("not_found.import", "未找到该导入记录", id=run_id)
    return run


def _report(session: Session, run: ImportRun, rows: bool = True) -> ImportReport:
    who = session.scalar(select(User.display_name).where(User.id == run.uploaded_by)) or ""
    kind = KINDS[run.kind]
    outcomes = run.outcomes or {}
    where = {field_of(h, kind.columns): i for i, h in enumerate(outcomes.get("headers", []))}
    shown = [where[f] for f in kind.shown if f in where]
    return ImportReport(
        run.id,
        run.kind,
        run.dry_run,
        run.filename,
        run.created_at,
        who,
        {
            "created": run.rows_created,
            "updated": run.rows_updated,
            "unchanged": run.rows_unchanged,
            "refused": run.rows_refused,
        },
        tuple(row_of(r, shown) for r in outcomes.get("rows", [])) if rows else (),
        run.dry_run and run.pending_file is not None,
        run.loaded_as,
    )
