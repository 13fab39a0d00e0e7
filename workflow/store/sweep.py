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

from sqlalchemy import Connection, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from ..dates import add_months, month_key
from ..errors import DomainError
from ..roles import SYSTEM_ACTOR, Role
from ..rules import ClaimantFacts, ClaimDraft, ContractFacts, PersonFacts, evaluate
from ..rules.facts import facts_from_record
from ..states import ClaimState, ContractState, SubsidyType
from .claims import ClaimInput, claim_values, load_params
from .db import Database
from .models import (
    Claim,
    ClaimHistory,
    Contract,
    ContractHistory,
    Organisation,
    Person,
    Post,
    User,
    Village,
)
from .notifications import Notice, notify, send_pending_email, users_with_role, village_users
from .sweep_models import Notification, SweepEvent, SweepRun
from .transitions import fire_chunk

log = logging.getLogger("fuzhi.sweep")
CHUNK = 500
EMAIL_BATCHES = 10  # of notifications.EMAIL_BATCH (200) each
ADVISORY_LOCK_KEY = 0x66757A68  # "fuzh"
C, K = ClaimState, ContractState

# Waiting in these states past the due time flags the case; a returned claim expires instead.
OVERDUE_STATES = {
    "claim": (C.SUBMITTED, C.VILLAGE_VERIFIED, C.HR_REVIEWED),
    "contract": (K.SUBMITTED, K.VILLAGE_VERIFIED, K.RETURNED),
}
# Who hears of an overdue step: the level above the one that should have acted. The county
# bureau (HR) is above the village; the bureau's head (the admin account) above HR and finance.
ESCALATE_TO = {C.SUBMITTED: Role.HR, C.VILLAGE_VERIFIED: Role.ADMIN, C.HR_REVIEWED: Role.ADMIN,
               K.RETURNED: Role.ADMIN}
WAITING_FOR = {C.SUBMITTED: "村级核实", C.VILLAGE_VERIFIED: "人社局审核",
               C.HR_REVIEWED: "财务发放", K.RETURNED: "重新提交"}
WORKFLOW_LABEL = {"claim": "补贴申请", "contract": "公益性岗位协议"}
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
    "contracts_expired": "协议到期终止", "claims_expired": "退回申请过期",
    "claims_overdue": "申请逾期标记", "contracts_overdue": "协议逾期标记",
    "reminders_sent": "续签提醒", "reminders_superseded": "合并的提醒",
    "post_claims_opened": "岗位补贴申请", "post_claims_existing": "已有的岗位补贴申请",
    "emails_sent": "通知邮件", "notices": "通知",
}

# A test can stop the run after a number of chunks (the crash-and-restart test).
ChunkHook = Callable[[str], None]


def run_sweep(db: Database, *, runner: str = "", chunk: int = CHUNK, smtp: Any = None,
              base_url: str = "", after_chunk: ChunkHook | None = None) -> SweepReport:
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
                s.execute(update(SweepRun).where(SweepRun.id == report.run_id).values(
                    finished_at=db.clock.now(), counts=dict(report.counts),
                    error=f"{type(exc).__name__}: {exc}"[:500]))
            raise
        with db.transaction() as s:
            s.execute(update(SweepRun).where(SweepRun.id == report.run_id).values(
                finished_at=db.clock.now(), counts=dict(report.counts)))
    log.info("清扫完成：%s", report.summary())
    return report


def deliver_email(db: Database, report: SweepReport, smtp: Any, base_url: str) -> None:
    """E-mail the notices not yet tried (``notifications.send_pending_email``), a batch at a
    time and at most ``EMAIL_BATCHES`` a run, so a backlog cannot hold the sweep for long;
    without SMTP settings they are all marked ``skipped`` at once."""
    if smtp is None:
        with db.transaction() as s:
            s.execute(update(Notification).where(Notification.email_state.is_(None))
                      .values(email_state="skipped", emailed_at=db.clock.now()))
        return
    for _ in range(EMAIL_BATCHES):
        with db.sessions() as s:
            if s.scalar(select(Notification.id).where(Notification.email_state.is_(None))
                        .limit(1)) is None:
                return
        report.add("emails_sent", send_pending_email(db, smtp, base_url=base_url))


# --- one sweep at a time ------------------------------------------------------------------

_local_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


@contextlib.contextmanager
def _exclusive(db: Database) -> Iterator[bool]:
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"),
                                   {"k": ADVISORY_LOCK_KEY}))
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


def _chunks(db: Database, query: Any, chunk: int) -> Iterator[tuple[Connection, list[Any]]]:
    """Rows of ``query`` (ordered by id, each with ``id``) a chunk at a time, each chunk in a
    transaction of its own that commits when the caller's block ends. Keyset paging: memory
    stays flat however many rows there are."""
    last = 0
    while True:
        with db.engine.begin() as conn:
            if db.dialect == "sqlite":
                # Take SQLite's write lock before reading (waiting for a writer to finish),
                # so no other writer commits between this chunk's reads and its writes.
                conn.execute(update(SweepRun).where(SweepRun.id == -1).values(runner=""))
            rows = conn.execute(query(last).limit(chunk)).all()
            if not rows:
                return
            yield conn, rows
        last = rows[-1].id
        if len(rows) < chunk:
            return


# --- expiry -------------------------------------------------------------------------------

def expire_contracts(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """Active contracts whose end date is over: expired, as that day ends."""
    today = db.clock.now().date()

    def query(last: int) -> Any:
        return select(Contract.id, Contract.village_id).where(
            Contract.state == K.ACTIVE, Contract.end_date < today, Contract.id > last
        ).order_by(Contract.id)

    for conn, rows in _chunks(db, query, chunk):
        moved = fire_chunk(db, conn, "contract", [r.id for r in rows], "expire", SYSTEM_ACTOR,
                           "协议期满，系统按期终止")
        report.add("contracts_expired", len(moved))
        _notify_by_village(db, conn, report, moved, "contract_expired",
                           "{n}份公益性岗位协议已期满终止", "/contracts?status=expired",
                           also=Role.HR)
        hook("expire_contracts")


def expire_claims(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """Returned claims not resubmitted in time (30 days by default): expired."""
    now = db.clock.now()

    def query(last: int) -> Any:
        return select(Claim.id).where(Claim.state == C.RETURNED, Claim.due_at < now,
                                      Claim.id > last).order_by(Claim.id)

    for conn, rows in _chunks(db, query, chunk):
        moved = fire_chunk(db, conn, "claim", [r.id for r in rows], "expire", SYSTEM_ACTOR,
                           "退回后逾期未重新提交，系统按期过期")
        report.add("claims_expired", len(moved))
        # The claimant's own staff hear of it (the agent accounts of that organisation).
        by_org: dict[int, int] = defaultdict(int)
        for case in moved:
            by_org[case.claimant_org_id] += 1
        with Session(bind=conn) as s:
            for org_id, n in by_org.items():
                agents = s.scalars(select(User.id).where(User.org_id == org_id,
                                                         User.active.is_(True))).all()
                report.add("notices", notify(s, now, agents, Notice(
                    "claim_expired", f"{n}件退回的补贴申请逾期未重新提交，已过期",
                    "退回的申请须在期限内改正后重新提交；过期的申请可重新申报。")))
            s.flush()
        hook("expire_claims")


# --- overdue steps ----------------------------------------------------------------------

def flag_overdue(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """Cases waiting past their due time are flagged (once per wait) and escalated."""
    now = db.clock.now()
    for workflow, model in (("claim", Claim), ("contract", Contract)):
        for state in OVERDUE_STATES[workflow]:
            def query(last: int, model: Any = model, state: str = state) -> Any:
                return select(model.id, model.village_id).where(
                    model.state == state, model.overdue.is_(False), model.due_at < now,
                    model.id > last).order_by(model.id)

            for conn, rows in _chunks(db, query, chunk):
                ids = [r.id for r in rows]
                # The same conditions again at write time: a case someone moved meanwhile is
                # not flagged, and a flag already set is not set (or escalated) twice.
                flagged = conn.execute(
                    update(model).where(model.id.in_(ids), model.state == state,
                                        model.overdue.is_(False), model.due_at < now)
                    .values(overdue=True).returning(model.id, model.village_id)).all()
                report.add(f"{workflow}s_overdue", len(flagged))
                _escalate(db, conn, report, workflow, state, flagged)
                hook("flag_overdue")


def _escalate(db: Database, conn: Connection, report: SweepReport, workflow: str, state: str,
              flagged: Sequence[Any]) -> None:
    if not flagged:
        return
    now = db.clock.now()
    by_village: dict[int, int] = defaultdict(int)
    for row in flagged:
        by_village[row.village_id] += 1
    role = ESCALATE_TO.get(state, Role.HR)
    link = "/inbox?overdue=true" if workflow == "claim" else "/contracts"
    with Session(bind=conn) as s:
        names = dict(s.execute(select(Village.id, Village.name).where(
            Village.id.in_(list(by_village)))).all())
        recipients = users_with_role(s, role)
        for village_id, n in sorted(by_village.items()):
            label = WORKFLOW_LABEL[workflow]
            village = names.get(village_id, "")
            report.add("notices", notify(s, now, recipients, Notice(
                "overdue", f"{village}有{n}件{label}超过{WAITING_FOR[state]}期限",
                f"{village}有{n}件{label}在“{WAITING_FOR[state]}”环节超过办理期限，已标记逾期，"
                f"请督促办理。",
                link)))
        s.flush()


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
        days = db.time_rules(conn).reminder_days
    widest = max(days)

    def query(last: int) -> Any:
        return (select(Contract.id, Contract.end_date, Contract.village_id,
                       Contract.successor_id, Person.name, Post.title)
                .join(Person, Person.id == Contract.person_id)
                .join(Post, Post.id == Contract.post_id)
                .where(Contract.state == K.ACTIVE, Contract.end_date >= today,
                       Contract.end_date <= today + timedelta(days=widest), Contract.id > last)
                .order_by(Contract.id))

    for conn, rows in _chunks(db, query, chunk):
        done = set(conn.scalars(select(SweepEvent.key).where(
            SweepEvent.subject_type == "contract",
            SweepEvent.subject_id.in_([r.id for r in rows]),
            SweepEvent.key.like("renewal:%"))))
        events, notices = [], []
        for r in rows:
            left = (r.end_date - today).days
            due = [d for d in days if left <= d and reminder_key(r.id, d) not in done]
            if not due:
                continue
            nearest = min(due)
            for d in due:
                note = ("已续签，不再提醒" if r.successor_id else
                        "已发送" if d == nearest else f"与{nearest}天提醒合并")
                events.append({"key": reminder_key(r.id, d), "at": now, "subject_type": "contract",
                               "subject_id": r.id, "note": note})
            report.add("reminders_superseded", len(due) - 1)
            if not r.successor_id:
                notices.append((r, left))
        if events:
            conn.execute(insert(SweepEvent), events)
        with Session(bind=conn) as s:
            hr = users_with_role(s, Role.HR)
            villages: dict[int, list[int]] = {}
            for r, left in notices:
                if r.village_id not in villages:
                    villages[r.village_id] = village_users(s, r.village_id)
                when = "今天" if left == 0 else f"还有{left}天"
                report.add("notices", notify(s, now, [*hr, *villages[r.village_id]], Notice(
                    "renewal_reminder",
                    f"公益性岗位协议{when}到期：{r.name}（{r.title}）",
                    f"协议将于{r.end_date:%Y年%m月%d日}期满。如需续聘，请在协议页面办理续签"
                    f"（新协议自期满次日起，期限不超过一年），到期后系统将自动终止该协议。",
                    f"/contracts/{r.id}#renew", "contract", r.id)))
                report.add("reminders_sent", 1)
            s.flush()
        hook("send_reminders")


# --- monthly post-subsidy claims -----------------------------------------------------------

def _month_periods(start: date, end: date, through: date | None, today: date) -> list[tuple[date, date]]:
    """The contract-months after ``through`` whose service is over by ``today``: each the part
    of a calendar month the contract covers, from ``start`` to ``end``."""
    first = date(start.year, start.month, 1)
    periods = []
    while first <= end:
        last = min(add_months(first, 1) - timedelta(days=1), end)
        if last >= today:
            break
        if through is None or last > through:
            periods.append((max(first, start), last))
        first = add_months(first, 1)
    return periods


def open_post_claims(db: Database, report: SweepReport, chunk: int, hook: ChunkHook) -> None:
    """One 公益性岗位补贴 claim per contract-month, opened when the month's service is over (on
    the first of the next month, or the day after the contract ends), filed in the village
    committee's name for the village to confirm attendance; from there the normal claim path."""
    now = db.clock.now()
    today = now.date()
    month_start = date(today.year, today.month, 1)
    last_complete = month_start - timedelta(days=1)

    def query(last: int) -> Any:
        through = Contract.subsidy_through
        return (select(Contract.id, Contract.person_id, Contract.village_id, Contract.state,
                       Contract.start_date, Contract.end_date, Contract.monthly_subsidy,
                       Contract.subsidy_through)
                .where(Contract.state.in_([s.value for s in POST_CLAIM_STATES]),
                       or_(Contract.start_date <= last_complete, Contract.end_date < today),
                       or_(through.is_(None), through < Contract.end_date),
                       or_(through.is_(None), through < last_complete, Contract.end_date < today,
                           Contract.state == K.TERMINATED),
                       Contract.id > last)
                .order_by(Contract.id))

    for conn, rows in _chunks(db, query, chunk):
        with Session(bind=conn) as s:
            _open_chunk(db, s, report, rows, now)
            s.flush()
        hook("open_post_claims")


def _open_chunk(db: Database, s: Session, report: SweepReport, rows: Sequence[Any],
                now: datetime) -> None:
    today = now.date()
    ended = {cid: at.date() for cid, at in s.execute(
        select(ContractHistory.contract_id, func.max(ContractHistory.at))
        .where(ContractHistory.contract_id.in_([r.id for r in rows if r.state == K.TERMINATED]),
               ContractHistory.trigger == "terminate")
        .group_by(ContractHistory.contract_id))}
    plans: list[tuple[Any, date, date]] = []
    marks: dict[int, date] = {}
    for r in rows:
        end = min(r.end_date, ended[r.id]) if r.id in ended else r.end_date
        periods = _month_periods(r.start_date, end, r.subsidy_through, today)
        plans.extend((r, first, last) for first, last in periods)
        if periods:
            marks[r.id] = periods[-1][1]
        covered = periods[-1][1] if periods else r.subsidy_through
        if r.state != K.ACTIVE and covered is not None and covered >= end:
            marks[r.id] = r.end_date  # every month the contract served is open: done with it
    if not plans and not marks:
        return
    keys = {f"{SubsidyType.PUBLIC_WELFARE_POST}:c{r.id}:{month_key(first)}": (r, first, last)
            for r, first, last in plans}
    live = set(s.scalars(select(Claim.dedupe_key).where(Claim.dedupe_key.in_(list(keys)))))
    report.add("post_claims_existing", len(live))
    committees = _committees(s, {r.village_id for r, _, _ in plans})
    persons = {p.id: p for p in s.scalars(select(Person).where(
        Person.id.in_({r.person_id for r, _, _ in plans})))}
    due_at = db.calendar(s).due(now, db.time_rules(s).deadlines["claim"][C.SUBMITTED])
    params_by_year: dict[int, Any] = {}
    new_rows, labels = [], []
    for key, (r, first, last) in keys.items():
        if key in live:
            continue
        year = first.year
        if year not in params_by_year:
            try:
                params_by_year[year] = load_params(s, year)
            except DomainError:
                params_by_year[year] = None
                _once(s, report, f"missing_policy_year:{year}", now, Notice(
                    "sweep_problem", f"{year}年度政策参数尚未设置，岗位补贴申请暂未生成",
                    f"请先设置{year}年度政策参数；设置后系统将自动补开{year}年各月的公益性岗位补贴申请。"),
                    Role.ADMIN)
        params = params_by_year[year]
        if params is None:
            marks.pop(r.id, None)  # try again once the year's parameters exist
            continue
        committee = committees[r.village_id]
        person = persons[r.person_id]
        inp = ClaimInput(SubsidyType.PUBLIC_WELFARE_POST, r.person_id, year,
                         {"month": month_key(first)}, r.id)
        draft = ClaimDraft(
            subsidy_type=inp.subsidy_type, policy_year=year,
            person=PersonFacts(person.id, person.target_group_set),
            claimant=ClaimantFacts(committee.id, committee.kind, committee.recognised,
                                   committee.first_business),
            facts=facts_from_record(inp.facts),
            contract=ContractFacts(r.id, r.person_id, r.state, r.start_date, r.end_date,
                                   r.monthly_subsidy))
        try:
            outcome = evaluate(draft, params, (), today)
        except DomainError as exc:
            log.warning("岗位补贴申请未生成（协议 %s，%s）：%s", r.id, month_key(first), exc)
            marks.pop(r.id, None)
            continue
        values = claim_values(inp, draft, outcome, claimant_id=committee.id,
                              village_id=r.village_id, submitted_by=SYSTEM_ACTOR.user_id,
                              now=now, due_at=due_at)
        new_rows.append({**values, "version": 1, "overdue": False})
        labels.append((r, first, last))
    if new_rows:
        ids = s.scalars(insert(Claim).returning(Claim.id, sort_by_parameter_order=True),
                        new_rows).all()
        s.execute(insert(ClaimHistory), [
            {"claim_id": cid, "trigger": "submit", "from_state": None, "to_state": C.SUBMITTED,
             "actor_id": SYSTEM_ACTOR.user_id, "actor_name": SYSTEM_ACTOR.name,
             "role": Role.SYSTEM.value, "at": now,
             "comment": f"系统按月生成：{first:%Y年%m月}{first.day}日至{last.day}日在岗补贴，"
                        f"待村级核实出勤"}
            for cid, (r, first, last) in zip(ids, labels, strict=True)])
        report.add("post_claims_opened", len(ids))
        by_village: dict[int, int] = defaultdict(int)
        for r, _, _ in labels:
            by_village[r.village_id] += 1
        for village_id, n in by_village.items():
            report.add("notices", notify(s, now, village_users(s, village_id), Notice(
                "post_claims", f"{n}件公益性岗位补贴申请待核实出勤",
                "系统已按月生成公益性岗位补贴申请，请核实当月出勤后办理“核实通过”或“退回”。",
                "/inbox?subsidy_type=public_welfare_post")))
    for cid, through in marks.items():
        s.execute(update(Contract).where(Contract.id == cid).values(subsidy_through=through))


def _committees(s: Session, village_ids: set[int]) -> dict[int, Organisation]:
    """Each village's committee (村民委员会), the employer that files its post subsidies; made
    from the village's name where none is registered yet."""
    found = {o.village_id: o for o in s.scalars(select(Organisation).where(
        Organisation.kind == "village_committee", Organisation.village_id.in_(list(village_ids))
    ).order_by(Organisation.id))}
    for vid in village_ids - set(found):
        village = s.get_one(Village, vid)
        org = Organisation(name=f"{village.township.name}{village.name}村民委员会",
                           kind="village_committee", village_id=vid, recognised=True)
        s.add(org)
        s.flush()
        found[vid] = org
    return found


def _once(s: Session, report: SweepReport, key: str, now: datetime, notice: Notice,
          role: Role) -> None:
    """A notice about a problem, sent the first time only."""
    if s.get(SweepEvent, key) is not None:
        return
    s.add(SweepEvent(key=key, at=now, note=notice.title[:200]))
    report.add("notices", notify(s, now, users_with_role(s, role), notice))


def _notify_by_village(db: Database, conn: Connection, report: SweepReport, moved: Sequence[Any],
                       kind: str, title: str, link: str, also: Role) -> None:
    if not moved:
        return
    now = db.clock.now()
    by_village: dict[int, int] = defaultdict(int)
    for case in moved:
        by_village[case.village_id] += 1
    with Session(bind=conn) as s:
        county = users_with_role(s, also)
        total = sum(by_village.values())
        report.add("notices", notify(s, now, county, Notice(kind, title.format(n=total), "", link)))
        for village_id, n in by_village.items():
            report.add("notices", notify(s, now, village_users(s, village_id),
                                         Notice(kind, title.format(n=n), "", link)))
        s.flush()


def last_runs(session: Session, limit: int = 10) -> Sequence[SweepRun]:
    return session.scalars(select(SweepRun).order_by(SweepRun.id.desc()).limit(limit)).all()

