"""The sweep: what the plan's clock does by itself, run every few minutes by the server and by
``fuzhi sweep`` from cron.

Each task works through its cases in chunks; a chunk is one transaction holding the steps, the
marks that say they were done (a state, an ``overdue`` flag, a ``sweep_event`` row, a
contract's ``subsidy_through``) and the notices about them. So a run killed at any point
leaves whole chunks done and the rest untouched, and the next run picks up exactly there:
running it again changes nothing more. Only one sweep works at a time: on PostgreSQL an
advisory lock (and ``SKIP LOCKED`` reads besides), on SQLite a lock file beside the database.

Steps are fired on the shared machine as the system actor, one history row each.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from ...dates import month_key
from ...errors import DomainError
from ...machines import WORKFLOWS
from ...roles import SYSTEM_ACTOR, Role
from ...rules import ClaimantFacts, ClaimDraft, PersonFacts, evaluate
from ...rules.facts import ClaimFacts
from ...states import ClaimState, ContractState, SubsidyType
from ..claims.filing import ClaimInput, claim_values, load_params
from ..claims.post_claims import CONTRACT_COLUMNS, contract_facts, month_workdays
from ..db import Database
from ..models import Claim, Contract, Organisation, Person, Post, User, Village
from ..notices.models import Notification
from ..notices.notifications import (
    Notice,
    notify,
    notify_each,
    send_pending_email,
    users_with_role,
    verifiers_of,
)
from ..policy.versions import version_in_force
from ..timerules import timecache
from ..transitions import fire_chunk, opening
from .models import SweepEvent, SweepRun, SweepTally

log = logging.getLogger("fuzhi.sweep")
CHUNK = 1000
# Monthly post claims opened in one run at most: on the 1st, a county-sized load (tens of
# thousands) is opened over a few runs minutes apart, so no run holds the database long.
POST_CLAIMS_PER_RUN = 10_000
EMAIL_BATCHES = 10  # of notifications.EMAIL_BATCH (200) each
ADVISORY_LOCK_KEY = 0x66757A68  # "fuzh"
C, K = ClaimState, ContractState

# Which states are flagged when waiting past their due time, what they wait for and who is
# told: the tables' ``waits`` (a returned claim is not escalated: it expires instead).
POST_CLAIM_STATES = (K.ACTIVE, K.EXPIRED, K.TERMINATED)


class SweepInterrupted(RuntimeError):
    """Raised by a test hook to stop a run in the middle, as a crash would."""


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
}

# A test can stop the run after a number of chunks (the crash-and-restart test).
ChunkHook = Callable[[str], None]


def run_sweep(
    db: Database,
    *,
    runner: str = "",
    chunk: int = CHUNK,
    smtp: Any = None,
    base_url: str = "",
    after_chunk: ChunkHook | None = None,
) -> SweepReport:
    """One full sweep; returns what it did, or ``skipped`` when another sweep is running.
    ``smtp`` (``SmtpSettings``) e-mails the notices; ``base_url`` makes their links absolute."""
    report = SweepReport()
    with _exclusive(db) as acquired:
        if not acquired:
            report.skipped = True
            return report
        now = db.clock.now()
        runner = runner or f"{socket.gethostname()}:{os.getpid()}"
        with db.transaction() as s:
            # Holding the lock, any run still open is one whose process died mid-way.
            s.execute(
                update(SweepRun)
                .where(SweepRun.finished_at.is_(None), SweepRun.error.is_(None))
                .values(error="运行中断（进程退出），已完成的部分有效，其余由之后的运行完成")
            )
            run = SweepRun(started_at=now, runner=runner[:60], counts={})
            s.add(run)
            s.flush()
            report.run_id = run.id
        hook = after_chunk or (lambda _name: None)
        try:
            expire_contracts(db, report, chunk, hook)
            expire_claims(db, report, chunk, hook)
            flag_overdue(db, report, chunk, hook)
            send_reminders(db, report, chunk, hook)
            open_post_claims(db, report, chunk, hook)
            deliver_email(db, report, smtp, base_url)
        except BaseException as exc:
            with db.transaction() as s:
                s.execute(
                    update(SweepRun)
                    .where(SweepRun.id == report.run_id)
                    .values(
                        finished_at=db.clock.now(),
                        counts=dict(report.counts),
                        error=f"{type(exc).__name__}: {exc}"[:500],
                    )
                )
            raise
        with db.transaction() as s:
            s.execute(
                update(SweepRun)
                .where(SweepRun.id == report.run_id)
                .values(finished_at=db.clock.now(), counts=dict(report.counts))
            )
    log.info("清扫完成：%s", report.summary())
    return report


def deliver_email(db: Database, report: SweepReport, smtp: Any, base_url: str) -> None:
    """E-mail the notices not yet tried (``notifications.send_pending_email``), a batch at a
    time and at most ``EMAIL_BATCHES`` a run, so a backlog cannot hold the sweep for long;
    without SMTP settings they are all marked ``skipped`` at once."""
    if smtp is None:
        with db.transaction() as s:
            s.execute(
                update(Notification)
                .where(Notification.email_state.is_(None))
                .values(email_state="skipped", emailed_at=db.clock.now())
            )
        return
    for _ in range(EMAIL_BATCHES):
        with db.sessions() as s:
            if s.scalar(select(Notification.id).where(Notification.email_state.is_(None)).limit(1)) is None:
                return
        report.add("emails_sent", send_pending_email(db, smtp, base_url=base_url))


# --- one sweep at a time ------------------------------------------------------------------

_local_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


@contextlib.contextmanager
def _exclusive(db: Database) -> Iterator[bool]:
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}))
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                    conn.commit()
        return
    # SQLite: a lock file beside the database serves several processes (the server and cron);
    # a lock per database serves threads in one process, where flock would not exclude.
    path = db.engine.url.database
    key = path or ":memory:"
    local = _local_locks[key]
    if not local.acquire(blocking=False):
        yield False
        return
    try:
        if not path or path == ":memory:":
            yield True
            return
        with open(Path(path).with_name(Path(path).name + ".sweep.lock"), "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        local.release()


def _chunks(
    db: Database, query: Any, chunk: int, report: SweepReport, hook: ChunkHook, name: str
) -> Iterator[tuple[Connection, Sequence[Row[*tuple[Any, ...]]], SweepReport]]:
    """Rows of ``query`` (ordered by id, each with ``id``) a chunk at a time, each chunk in a
    transaction of its own that commits when the caller's block ends; what the caller counts
    in the chunk's ``SweepReport`` joins ``report`` only once the chunk is committed, and then
    ``hook`` hears of it. Keyset paging: memory stays flat however many rows there are."""
    last = 0
    while True:
        done = SweepReport()
        with db.engine.begin() as conn:
            if db.dialect == "sqlite":
                # Take SQLite's write lock before reading (waiting for a writer to finish),
                # so no other writer commits between this chunk's reads and its writes.
                conn.execute(update(SweepRun).where(SweepRun.id == -1).values(runner=""))
            rows = conn.execute(query(last).limit(chunk)).all()
            if not rows:
                return
            yield conn, rows, done
        for key, n in done.counts.items():
            report.add(key, n)
        hook(name)
        last = rows[-1].id
        if len(rows) < chunk:
            return


# --- telling people, once per task -------------------------------------------------------
# A task counts what it did per village (or organisation) with each chunk, in the chunk's own
# transaction (``sweep_tally``), and tells each recipient once when it ends: one notice per
# village, not one per chunk. A run stopped midway leaves its counts; the next run's notice
# includes them, so nothing is told twice and nothing goes untold.


def _count(conn: Connection, task: str, tally: dict[int, int]) -> None:
    if tally:
        conn.execute(insert(SweepTally), [{"task": task, "subject_id": k, "n": n} for k, n in tally.items()])


def _drain(s: Session, task: str) -> dict[int, int]:
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


def _village_names(s: Session, village_ids: Sequence[int]) -> dict[int, str]:
    return dict(s.execute(select(Village.id, Village.name).where(Village.id.in_(list(village_ids)))).all())


def _spread(names: dict[int, str], tally: dict[int, int], limit: int = 20) -> str:
    """阿东村3件、巴东村2件等5个村 — the villages with most first."""
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))
    text = "、".join(f"{names.get(v, '')}{n}件" for v, n in ranked[:limit])
    return text + (f"等{len(ranked)}个村" if len(ranked) > limit else "")


def _tell_villages(
    db: Database, report: SweepReport, task: str, title: str, body: str, link: str, county: Role | None = None
) -> None:
    """Each village's verifiers hear their own count; ``county`` users the total."""
    now = db.clock.now()
    with db.transaction() as s:
        tally = _drain(s, task)
        if not tally:
            return
        users = verifiers_of(s, list(tally))
        notices = [
            (users.get(village_id, []), Notice(task, title.format(n=n), body, link))
            for village_id, n in sorted(tally.items())
        ]
        if county is not None:
            names = _village_names(s, list(tally))
            total = sum(tally.values())
            notices.append(
                (
                    users_with_role(s, county),
                    Notice(
                        task, title.format(n=total), _spread(names, tally) if len(tally) > 1 else body, link
                    ),
                )
            )
        report.add("notices", notify_each(s, now, notices))


# --- expiry -------------------------------------------------------------------------------


def expire_contracts(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """Active contracts whose end date is over: expired, as that day ends."""
    today = db.clock.now().date()

    def query(last: int) -> Any:
        return (
            select(Contract.id, Contract.village_id)
            .where(Contract.state == K.ACTIVE, Contract.end_date < today, Contract.id > last)
            .order_by(Contract.id)
        )

    for conn, rows, done in _chunks(db, query, chunk, report, hook, "expire_contracts"):
        moved = fire_chunk(
            db, conn, "contract", [r.id for r in rows], "expire", SYSTEM_ACTOR, "协议期满，系统按期终止"
        )
        done.add("contracts_expired", len(moved))
        _count(conn, "contract_expired", _by(moved, "village_id"))
    _tell_villages(
        db,
        report,
        "contract_expired",
        "{n}份公益性岗位协议已期满终止",
        "协议期满，系统已按期终止；如需继续聘用，请办理续签或拟定新协议。",
        "/contracts?status=expired",
        county=Role.HR,
    )


def expire_claims(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """Returned claims not resubmitted in time (30 days by default): expired."""
    now = db.clock.now()

    def query(last: int) -> Any:
        return (
            select(Claim.id)
            .where(Claim.state == C.RETURNED, Claim.due_at < now, Claim.id > last)
            .order_by(Claim.id)
        )

    for conn, rows, done in _chunks(db, query, chunk, report, hook, "expire_claims"):
        moved = fire_chunk(
            db,
            conn,
            "claim",
            [r.id for r in rows],
            "expire",
            SYSTEM_ACTOR,
            "退回后逾期未重新提交，系统按期过期",
        )
        done.add("claims_expired", len(moved))
        _count(conn, "claim_expired", _by(moved, "claimant_org_id"))
    # The claimant's own staff hear of it (the agent accounts of that organisation).
    with db.transaction() as s:
        by_org = _drain(s, "claim_expired")
        agents: dict[int | None, list[int]] = defaultdict(list)  # User.org_id is nullable
        for org_id, uid in s.execute(
            select(User.org_id, User.id).where(User.org_id.in_(list(by_org)), User.active.is_(True))
        ):
            agents[org_id].append(uid)
        report.add(
            "notices",
            notify_each(
                s,
                now,
                [
                    (
                        agents.get(org_id, []),
                        Notice(
                            "claim_expired",
                            f"{n}件退回的补贴申请逾期未重新提交，已过期",
                            "退回的申请须在期限内改正后重新提交；过期的申请可重新申报。",
                        ),
                    )
                    for org_id, n in sorted(by_org.items())
                ],
            ),
        )


def _by(cases: Sequence[Any], attr: str) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for case in cases:
        counts[getattr(case, attr)] += 1
    return counts


# --- overdue steps ----------------------------------------------------------------------


def flag_overdue(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
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

            for conn, rows, done in _chunks(db, query, chunk, report, hook, "flag_overdue"):
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
                _count(conn, task, _by(flagged, "village_id"))
            _escalate(db, report, workflow, state, task)


def _escalate(db: Database, report: SweepReport, workflow: str, state: str, task: str) -> None:
    """One notice to the next level for what went overdue at this step in this run."""
    wf = WORKFLOWS[workflow]
    wait = wf.waits[state]
    assert wait.escalate_to is not None  # only escalated states are flagged
    label, step = wf.label, wait.waiting_for
    link = "/inbox?overdue=true" if workflow == "claim" else "/contracts"
    with db.transaction() as s:
        tally = _drain(s, task)
        if not tally:
            return
        names = _village_names(s, list(tally))
        total = sum(tally.values())
        if len(tally) == 1:
            where = names.get(next(iter(tally)), "")
            title = f"{where}有{total}件{label}超过{step}期限"
        else:
            where = _spread(names, tally)
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


# --- renewal reminders ------------------------------------------------------------------


def reminder_key(contract_id: int, days: int) -> str:
    return f"renewal:{contract_id}:{days}"


def send_reminders(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """Before an active contract ends, the village and HR are reminded once per reminder day
    (30 and 7 by default). When several fall due together (the sweep was off, the contract
    was short) one notice goes out, for the nearest, and the others are recorded as covered."""
    now = db.clock.now()
    today = now.date()
    with db.engine.connect() as conn:
        days = timecache.time_rules(db, conn).reminder_days
    widest = max(days)

    def query(last: int) -> Any:
        return (
            select(
                Contract.id,
                Contract.end_date,
                Contract.village_id,
                Contract.successor_id,
                Person.name,
                Post.title,
            )
            .join(Person, Person.id == Contract.person_id)
            .join(Post, Post.id == Contract.post_id)
            .where(
                Contract.state == K.ACTIVE,
                Contract.end_date >= today,
                Contract.end_date <= today + timedelta(days=widest),
                Contract.id > last,
            )
            .order_by(Contract.id)
        )

    for conn, rows, done in _chunks(db, query, chunk, report, hook, "send_reminders"):
        sent = set(
            conn.scalars(
                select(SweepEvent.key).where(
                    SweepEvent.subject_type == "contract",
                    SweepEvent.subject_id.in_([r.id for r in rows]),
                    SweepEvent.key.like("renewal:%"),
                )
            )
        )
        events, notices = [], []
        for r in rows:
            left = (r.end_date - today).days
            due = [d for d in days if left <= d and reminder_key(r.id, d) not in sent]
            if not due:
                continue
            nearest = min(due)
            for d in due:
                note = (
                    "已续签，不再提醒"
                    if r.successor_id
                    else "已发送"
                    if d == nearest
                    else f"与{nearest}天提醒合并"
                )
                events.append(
                    {
                        "key": reminder_key(r.id, d),
                        "at": now,
                        "subject_type": "contract",
                        "subject_id": r.id,
                        "note": note,
                    }
                )
            done.add("reminders_superseded", len(due) - 1)
            if not r.successor_id:
                notices.append((r, left))
        if events:
            conn.execute(insert(SweepEvent), events)
        with Session(bind=conn) as s:
            hr = users_with_role(s, Role.HR)
            villages = verifiers_of(s, list({r.village_id for r, _ in notices}))
            done.add(
                "notices",
                notify_each(
                    s,
                    now,
                    [
                        (
                            [*hr, *villages.get(r.village_id, [])],
                            Notice(
                                "renewal_reminder",
                                f"公益性岗位协议{'今天' if left == 0 else f'还有{left}天'}到期："
                                f"{r.name}（{r.title}）",
                                f"协议将于{r.end_date:%Y年%m月%d日}期满。如需续聘，请在协议页面办理续签"
                                f"（新协议自期满次日起，期限不超过一年），到期后系统将自动终止该协议。",
                                f"/contracts/{r.id}#renew",
                                "contract",
                                r.id,
                            ),
                        )
                        for r, left in notices
                    ],
                ),
            )
            done.add("reminders_sent", len(notices))
            s.flush()


# --- monthly post-subsidy claims -----------------------------------------------------------


def _next_month(first: date) -> date:
    """The 1st of the next month. Not ``dates.add_months`` (dateutil): from a 1st no day needs
    clamping, and on the 1st this runs for every contract, where relativedelta cost a tenth
    of the month start (docs/benchmarks.md)."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _month_periods(start: date, end: date, through: date | None, today: date) -> list[tuple[date, date]]:
    """The contract-months after ``through`` whose calendar month is over by ``today``: each the
    part of a calendar month the contract covers, from ``start`` to ``end``. A month is claimed
    only once it has ended, even when the contract ended earlier in it: the village confirms
    the month's days on the post (出勤天数) then, as the contract says."""
    if end < start:  # left before the first day on the post
        return []
    begin = start if through is None else max(start, through + timedelta(days=1))
    first = date(begin.year, begin.month, 1)
    periods = []
    while first <= end:
        following = _next_month(first)
        if following > today:  # the month's last day is not yet past
            break
        last = min(following - timedelta(days=1), end)
        if through is None or last > through:
            periods.append((max(first, start), last))
        first = following
    return periods


def open_post_claims(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """One 公益性岗位补贴 claim per contract-month, opened on the first of the next month (never
    before the month is over, however the contract ended), filed in the village committee's
    name for the village to confirm the days on the post; from there the normal claim path.
    Nothing after a termination's date (有序退岗) is opened."""
    now = db.clock.now()
    today = now.date()
    month_start = date(today.year, today.month, 1)
    last_complete = month_start - timedelta(days=1)

    def query(last: int) -> Any:
        through = Contract.subsidy_through
        # Only months up to the last complete one are claimable, so a contract with nothing
        # open up to its end or up to that month has nothing to do.
        return (
            select(*CONTRACT_COLUMNS, Contract.village_id, Contract.subsidy_through)
            .where(
                Contract.state.in_([s.value for s in POST_CLAIM_STATES]),
                Contract.start_date <= last_complete,
                or_(through.is_(None), through < Contract.end_date),
                or_(through.is_(None), through < last_complete),
                Contract.id > last,
            )
            .order_by(Contract.id)
        )

    for conn, rows, done in _chunks(db, query, chunk, report, hook, "open_post_claims"):
        if report.counts.get("post_claims_opened", 0) >= POST_CLAIMS_PER_RUN:
            report.add("post_claims_deferred", 1)  # the next run goes on from here
            break
        with Session(bind=conn) as s:
            _open_chunk(db, s, done, rows, now)
            s.flush()
    _tell_villages(
        db,
        report,
        "post_claims",
        "{n}件公益性岗位补贴申请待核实出勤",
        "系统已按月生成公益性岗位补贴申请，请核实当月出勤后办理“核实通过”或“退回”。",
        "/inbox?subsidy_type=public_welfare_post",
    )


def _open_chunk(db: Database, s: Session, report: SweepReport, rows: Sequence[Any], now: datetime) -> None:
    today = now.date()
    plans: list[tuple[Any, date, date]] = []
    marks: dict[int, date] = {}
    for r in rows:
        end = min(r.end_date, r.terminated_on or r.end_date)
        periods = _month_periods(r.start_date, end, r.subsidy_through, today)
        plans.extend((r, first, last) for first, last in periods)
        if periods:
            marks[r.id] = periods[-1][1]
        # Nothing opened yet counts as covered up to the day before the start (so a holder
        # who left before starting is done with at once).
        covered = periods[-1][1] if periods else (r.subsidy_through or r.start_date - timedelta(days=1))
        if r.state != K.ACTIVE and covered is not None and covered >= end:
            marks[r.id] = r.end_date  # every month the contract served is open: done with it
    if not plans and not marks:
        return
    committees = _committees(s, {r.village_id for r, _, _ in plans})
    groups = dict(
        s.execute(
            select(Person.id, Person.target_groups).where(Person.id.in_({r.person_id for r, _, _ in plans}))
        ).all()
    )
    cal = timecache.calendar(db, s)
    opened = opening(db, s, "claim", SYSTEM_ACTOR, now)
    workdays: dict[str, tuple[date, ...] | None] = {}
    params_by_year: dict[int, Any] = {}
    drafted: dict[str, tuple[dict[str, Any], Any, date, date]] = {}
    for r, first, last in plans:
        year = first.year
        if year not in params_by_year:
            try:
                params_by_year[year] = load_params(s, year)
            except DomainError:
                params_by_year[year] = None
                _once(
                    s,
                    report,
                    f"missing_policy_year:{year}",
                    now,
                    Notice(
                        "sweep_problem",
                        f"{year}年度政策参数尚未设置，岗位补贴申请暂未生成",
                        f"请先设置{year}年度政策参数；设置后系统将自动补开{year}年各月的公益性岗位补贴申请。",
                    ),
                    Role.ADMIN,
                )
        params = params_by_year[year]
        if params is None:
            marks.pop(r.id, None)  # try again once the year's parameters exist
            continue
        committee = committees[r.village_id]
        month = month_key(first)
        inp = ClaimInput(SubsidyType.PUBLIC_WELFARE_POST, r.person_id, year, {"month": month}, r.id)
        if month not in workdays:
            workdays[month] = month_workdays(cal, inp.subsidy_type, month)
        draft = ClaimDraft(
            subsidy_type=inp.subsidy_type,
            policy_year=year,
            person=PersonFacts(r.person_id, frozenset(g for g in groups[r.person_id].split(",") if g)),
            claimant=ClaimantFacts(
                committee.id, committee.kind, committee.recognised, committee.first_business
            ),
            facts=ClaimFacts(month=month),
            contract=contract_facts(r),
            month_workdays=workdays[month],
        )
        try:
            # The plan's rule gives the most the month can pay (until the village confirms the
            # days) and the key that makes the claim one of a kind.
            outcome = evaluate(draft, params, (), today)
        except DomainError as exc:
            if exc.code == "rule.no_working_day_in_month":
                continue  # nothing to pay for that part-month, now or later: the mark stands
            log.warning("岗位补贴申请未生成（协议 %s，%s）：%s", r.id, month_key(first), exc)
            marks.pop(r.id, None)
            continue
        values = claim_values(
            inp,
            draft,
            outcome,
            claimant_id=committee.id,
            village_id=r.village_id,
            opened=opened,
            params_version_id=version_in_force(s, year),
        )
        drafted[outcome.dedupe_key] = ({**values, "version": 1, "overdue": False}, r, first, last)
    # A month someone already claimed (by hand, or a run that stopped) is not opened again.
    live = set(s.scalars(select(Claim.dedupe_key).where(Claim.dedupe_key.in_(list(drafted)))))
    report.add("post_claims_existing", len(live))
    fresh = {key: plan for key, plan in drafted.items() if key not in live}
    if fresh:
        # Core statements, and no RETURNING (SQLite would insert row by row to keep the order).
        conn = s.connection()
        conn.execute(insert(Claim.__table__), [values for values, _, _, _ in fresh.values()])
        # The submission rows are written by the database from the claims just inserted, one
        # statement per period (most of a chunk's claims cover the same whole month).
        by_period: dict[tuple[date, date], list[str]] = defaultdict(list)
        for key, (_, _, first, last) in fresh.items():
            by_period[(first, last)].append(key)
        for (first, last), keys in by_period.items():
            comment = f"系统按月生成：{first:%Y年%m月}{first.day}日至{last.day}日在岗补贴，待村级核实出勤"
            opened = opening(db, s, "claim", SYSTEM_ACTOR, now, comment)
            conn.execute(opened.history_from(select(Claim.id).where(Claim.dedupe_key.in_(keys))))
        report.add("post_claims_opened", len(fresh))
        _count(conn, "post_claims", _by([r for _, r, _, _ in fresh.values()], "village_id"))
    # Most contracts of a chunk reach the same day (the end of last month): one UPDATE a day.
    by_day: dict[date, list[int]] = defaultdict(list)
    for cid, through in marks.items():
        by_day[through].append(cid)
    for through, cids in by_day.items():
        s.connection().execute(
            update(Contract.__table__)
            .where(Contract.__table__.c.id.in_(cids))
            .values(subsidy_through=through)
        )


def _committees(s: Session, village_ids: set[int]) -> dict[int, Organisation]:
    """Each village's committee (村民委员会), the employer that files its post subsidies; made
    from the village's name where none is registered yet."""
    found: dict[int, Organisation] = {}
    for o in s.scalars(
        select(Organisation)
        .where(Organisation.kind == "village_committee", Organisation.village_id.in_(list(village_ids)))
        .order_by(Organisation.id)
    ):
        if o.village_id is not None:  # always, by the query; the column itself is nullable
            found[o.village_id] = o
    for vid in village_ids - set(found):
        village = s.get_one(Village, vid)
        org = Organisation(
            name=f"{village.township.name}{village.name}村民委员会",
            kind="village_committee",
            village_id=vid,
            recognised=True,
        )
        s.add(org)
        s.flush()
        found[vid] = org
    return found


def _once(s: Session, report: SweepReport, key: str, now: datetime, notice: Notice, role: Role) -> None:
    """A notice about a problem, sent the first time only."""
    if s.get(SweepEvent, key) is not None:
        return
    s.add(SweepEvent(key=key, at=now, note=notice.title[:200]))
    report.add("notices", notify(s, now, users_with_role(s, role), notice))


def last_runs(session: Session, limit: int = 10) -> Sequence[SweepRun]:
    return session.scalars(select(SweepRun).order_by(SweepRun.id.desc()).limit(limit)).all()
