"""Overdue steps, for every workflow at once: the machines' tables say which states wait with a
due time, what they wait for and who is told (``waits``); the sweep flags the cases waiting
past it, once per wait, and escalates. A returned claim is not escalated: it expires instead
(``claims.scheduled``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from workflow.machines import WORKFLOWS

from ..db import Database
from ..models import Claim, Contract
from ..notices.notifications import Notice, notify, users_with_role
from .chunks import (
    SweepOptions,
    SweepReport,
    chunks,
    count_by,
    drain_tally,
    keep_tally,
    spread,
    village_names,
)


def flag_overdue(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """Cases waiting past their due time are flagged (once per wait) and escalated."""
    now = db.clock.now()
    for workflow, model in (("claim", Claim), ("contract", Contract)):
        for state in WORKFLOWS[workflow].overdue_states:
            task = f"overdue:{workflow}:{state}"

            def query(last: int, model: Any = model, state: str = state) -> Any:
                return (
                    select(model.id, model.village_id)
                    .where(
                        model.state == state, model.overdue.is_(False), model.due_at < now, model.id > last
                    )
                    .order_by(model.id)
                )

            for conn, rows, done in chunks(db, query, report, opts, "flag_overdue"):
                ids = [r.id for r in rows]
                # The same conditions again at write time: a case someone moved meanwhile is
                # not flagged, and a flag already set is not set (or escalated) twice.
                flagged = conn.execute(
                    update(model)
                    .where(
                        model.id.in_(ids), model.state == state, model.overdue.is_(False), model.due_at < now
                    )
                    .values(overdue=True)
                    .returning(model.id, model.village_id)
                ).all()
                done.add(f"{workflow}s_overdue", len(flagged))
                keep_tally(conn, task, count_by(flagged, "village_id"))
            _escalate(db, report, workflow, state, task)


def _escalate(db: Database, report: SweepReport, workflow: str, state: str, task: str) -> None:
    """One notice to the next level for what went overdue at this step in this run."""
    wf = WORKFLOWS[workflow]
    wait = wf.waits[state]
    assert wait.escalate_to is not None  # only escalated states are flagged
    label, step = wf.label, wait.waiting_for
    link = "/inbox?overdue=true" if workflow == "claim" else "/contracts"
    with db.transaction() as s:
        tally = drain_tally(s, task)
        if not tally:
            return
        names = village_names(s, list(tally))
        total = sum(tally.values())
        if len(tally) == 1:
            where = names.get(next(iter(tally)), "")
            title = f"{where}有{total}件{label}超过{step}期限"
        else:
            where = spread(names, tally)
            title = f"{len(tally)}个村有{total}件{label}超过{step}期限"
        report.add(
            "notices",
            notify(
                s,
                db.clock.now(),
                users_with_role(s, wait.escalate_to),
                Notice(
                    "overdue",
                    title,
                    f"{where}：{label}在“{step}”环节超过办理期限，已标记逾期，请督促办理。",
                    link,
                ),
            ),
        )
