"""What finance's payout pages show, and the steps on a batch's lines that supersede its roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow.errors import NotFound
from workflow.identity import mask
from workflow.payout_totals import Tally, batch_totals
from workflow.roles import Actor

from ..claims.worklist import Filters, villages_of
from ..db import Database
from ..documents import rosters as documents
from ..models import Claim, Village
from . import batch_pool, batch_rows
from . import batches as payouts
from . import returns as payout_reconcile
from .models import PayoutBatch, PayoutLine

POOL_LIMIT = 200  # claims the pool page lists; it says when there are more
BATCHES_SHOWN = 50


@dataclass(frozen=True)
class PoolView:
    pool: list[Claim]  # approved claims not in an open batch, with their persons
    more: bool
    failures: dict[int, str]  # why the bank last returned a claim, for those it did
    batches: list[PayoutBatch]  # the latest batches
    villages: dict[int, Village]


def pool(db: Database, actor: Actor, filters: Filters) -> PoolView:
    with db.transaction() as session:
        villages = {v.id: v for v in villages_of(session, actor)}
        found = list(
            session.scalars(
                batch_pool.pool_query(filters)
                .options(selectinload(Claim.person))
                .order_by(Claim.id)
                .limit(POOL_LIMIT + 1)
            )
        )
        shown = found[:POOL_LIMIT]
        failures = batch_pool.last_failures(session, [c.id for c in shown]) if shown else {}
        batches = list(
            session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(BATCHES_SHOWN))
        )
    return PoolView(shown, len(found) > POOL_LIMIT, failures, batches, villages)


@dataclass(frozen=True)
class BatchView:
    batch: PayoutBatch
    lines: list[dict[str, Any]]  # each line with its account number masked
    pending: int
    totals: dict[str, Tally]
    deciders: dict[int, str]  # who decided on flagged lines, by user id
    roster: documents.Roster | None  # the latest roster, whatever its state
    ready_roster: documents.Roster | None


def batch(db: Database, batch_id: int) -> BatchView:
    found = batch_rows.get_batch(db, batch_id)
    return BatchView(
        batch=found,
        lines=[{"line": li, "account": mask(db.vault.decrypt(li.account_enc))} for li in found.lines],
        pending=sum(1 for li in found.lines if li.status == "pending"),
        totals=batch_totals(found.lines),
        deciders=payout_reconcile.decider_names(db, {li.decided_by for li in found.lines if li.decided_by}),
        roster=documents.roster_status(db, batch_id),
        ready_roster=documents.ready_roster(db, batch_id),
    )


def bank_file(db: Database, actor: Actor, batch_id: int, fmt: str) -> tuple[bytes, str]:
    """The batch's bank file and the batch's reference (to name the download)."""
    content = payouts.bank_file(db, actor, batch_id, fmt)
    return content, batch_rows.get_batch(db, batch_id).reference


def fail_line(
    db: Database, actor: Actor, batch_id: int, line_id: int, reason: str
) -> documents.Roster | None:
    """The bank returned a line of this batch: it leaves the batch, and the batch's printed
    roster is superseded; the new roster (to be rendered) if one was started."""
    with db.transaction() as session:
        line = session.get(PayoutLine, line_id)
    if line is None or line.batch_id != batch_id:
        raise NotFound("not_found.payout_line", "未找到该发放明细", id=line_id)
    payouts.mark_failed(db, actor, line_id, reason)
    return documents.reissue_roster(db, actor, batch_id)


def decide(
    db: Database,
    actor: Actor,
    batch_id: int,
    line_id: int,
    decision: str,
    note: str,
    reference: str,
    paid_on: date | None,
) -> documents.Roster | None:
    """Finance's decision on a flagged line; a line returned to the pool supersedes the roster
    as a failed one does: the new roster (to be rendered) if one was started."""
    line = payout_reconcile.decide(db, actor, batch_id, line_id, decision, note, reference, paid_on)
    return documents.reissue_roster(db, actor, batch_id) if line.status == "failed" else None
