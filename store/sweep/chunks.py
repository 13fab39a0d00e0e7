"""What every task of the sweep works with: its report, its chunks and its tallies.

A task works through its cases in chunks (``chunks``); a chunk is one transaction holding the
steps, the marks that say they were done and the per-village counts of what it did
(``keep_tally``); when the task ends it tells each recipient once (``drain_tally``,
``tell_villages``). The tasks themselves live with their areas (``contracts.scheduled``,
``claims.scheduled``, ``notices.scheduled``, ``sweep.overdue``); ``sweep.runner`` runs them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from workflow.roles import Role

from ..db import Database
from ..models import Village
from ..notices.notifications import Notice, notify_each, users_with_role, verifiers_of
from .models import SweepRun, SweepTally


@dataclass
class SweepReport:
    run_id: int | None = None
    skipped: bool = False  # another sweep held the lock
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, name: str, n: int) -> None:
        if n:
            self.counts[name] += n

    def summary(self) -> str:
        if self.skipped:
            return "另一个清扫任务正在运行，本次跳过"
        parts = [f"{LABELS.get(k, k)} {v}" for k, v in sorted(self.counts.items()) if v]
        return "；".join(parts) or "无需处理的事项"


LABELS = {
    "audit_head_sent": "审计链头发送管理员",
    "contracts_expired": "协议到期终止",
    "claims_expired": "退回申请过期",
    "claims_overdue": "申请逾期标记",
    "contracts_overdue": "协议逾期标记",
    "reminders_sent": "续签提醒",
    "reminders_superseded": "合并的提醒",
    "post_claims_opened": "岗位补贴申请",
    "post_claims_existing": "已有的岗位补贴申请",
    "emails_sent": "通知邮件",
    "notices": "通知",
    "post_claims_deferred": "岗位补贴申请留待下次生成",
    "form_tokens_forgotten": "清除的过期表单标记",
    "sign_in_traces_forgotten": "清除的过期登录计数",
}


# A test can stop the run after a number of chunks (the crash-and-restart test).
ChunkHook = Callable[[str], None]


@dataclass(frozen=True)
class SweepOptions:
    """What a run gives each task: the chunk size, the hook that hears of each committed chunk
    (named by its task), and the SMTP settings and base URL of the e-mailed notices."""

    chunk: int
    hook: ChunkHook
    smtp: Any = None
    base_url: str = ""


def chunks(
    db: Database, query: Any, report: SweepReport, opts: SweepOptions, name: str
) -> Iterator[tuple[Connection, Sequence[Row[*tuple[Any, ...]]], SweepReport]]:
    """Rows of ``query`` (ordered by id, each with ``id``) a chunk at a time, each chunk in a
    transaction of its own that commits when the caller's block ends; what the caller counts
    in the chunk's ``SweepReport`` joins ``report`` only once the chunk is committed, and then
    ``opts.hook`` hears of it. Keyset paging: memory stays flat however many rows there are."""
    last = 0
    while True:
        done = SweepReport()
        with db.engine.begin() as conn:
            if db.dialect == "sqlite":
                # Take SQLite's write lock before reading (waiting for a writer to finish),
                # so no other writer commits between this chunk's reads and its writes.
                conn.execute(update(SweepRun).where(SweepRun.id == -1).values(runner=""))
            rows = conn.execute(query(last).limit(opts.chunk)).all()
            if not rows:
                return
            yield conn, rows, done
        for key, n in done.counts.items():
            report.add(key, n)
        opts.hook(name)
        last = rows[-1].id
        if len(rows) < opts.chunk:
            return


# --- telling people, once per task -------------------------------------------------------
# A task counts what it did per village (or organisation) with each chunk, in the chunk's own
# transaction (``sweep_tally``), and tells each recipient once when it ends: one notice per
# village, not one per chunk. A run stopped midway leaves its counts; the next run's notice
# includes them, so nothing is told twice and nothing goes untold.


def keep_tally(conn: Connection, task: str, tally: dict[int, int]) -> None:
    if tally:
        conn.execute(insert(SweepTally), [{"task": task, "subject_id": k, "n": n} for k, n in tally.items()])


def drain_tally(s: Session, task: str) -> dict[int, int]:
    """The task's counts so far, removed in the caller's transaction (which tells them)."""
    counts = {
        k: int(n)
        for k, n in s.execute(
            select(SweepTally.subject_id, func.sum(SweepTally.n))
            .where(SweepTally.task == task)
            .group_by(SweepTally.subject_id)
        )
    }
    if counts:
        s.execute(delete(SweepTally).where(SweepTally.task == task))
    return counts


def village_names(s: Session, village_ids: Sequence[int]) -> dict[int, str]:
    return dict(s.execute(select(Village.id, Village.name).where(Village.id.in_(list(village_ids)))).all())


def spread(names: dict[int, str], tally: dict[int, int], limit: int = 20) -> str:
    """阿东村3件、巴东村2件等5个村 — the villages with most first."""
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))
    text = "、".join(f"{names.get(v, '')}{n}件" for v, n in ranked[:limit])
    return text + (f"等{len(ranked)}个村" if len(ranked) > limit else "")


def tell_villages(
    db: Database, report: SweepReport, task: str, title: str, body: str, link: str, county: Role | None = None
) -> None:
    """Each village's verifiers hear their own count; ``county`` users the total."""
    now = db.clock.now()
    with db.transaction() as s:
        tally = drain_tally(s, task)
        if not tally:
            return
        users = verifiers_of(s, list(tally))
        notices = [
            (users.get(village_id, []), Notice(task, title.format(n=n), body, link))
            for village_id, n in sorted(tally.items())
        ]
        if county is not None:
            names = village_names(s, list(tally))
            total = sum(tally.values())
            notices.append(
                (
                    users_with_role(s, county),
                    Notice(
                        task, title.format(n=total), spread(names, tally) if len(tally) > 1 else body, link
                    ),
                )
            )
        report.add("notices", notify_each(s, now, notices))


def count_by(cases: Sequence[Any], attr: str) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for case in cases:
        counts[getattr(case, attr)] += 1
    return counts
