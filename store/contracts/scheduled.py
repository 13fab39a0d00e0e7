"""The contracts' periodic work, run by the sweep (``sweep.runner``): active contracts whose
end date is over expire, and renewal reminders go out before they do. Each works in chunks,
each chunk one transaction with its marks (``sweep.chunks``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from workflow.roles import SYSTEM_ACTOR, Role
from workflow.states import ContractState as K

from ..db import Database
from ..models import Contract, Person, Post
from ..notices.notifications import Notice, notify_each, users_with_role, verifiers_of
from ..sweep.chunks import SweepOptions, SweepReport, chunks, count_by, keep_tally, tell_villages
from ..sweep.models import SweepEvent
from ..timerules import timecache
from ..transitions import fire_chunk

# --- expiry -------------------------------------------------------------------------------


def expire_contracts(db: Database, report: SweepReport, opts: SweepOptions) -> None:
    """Active contracts whose end date is over: expired, as that day ends."""
    today = db.clock.now().date()

    def query(last: int) -> Any:
        return (
            select(Contract.id, Contract.village_id)
            .where(Contract.state == K.ACTIVE, Contract.end_date < today, Contract.id > last)
            .order_by(Contract.id)
        )

    for conn, rows, done in chunks(db, query, report, opts, "expire_contracts"):
        moved = fire_chunk(
            db, conn, "contract", [r.id for r in rows], "expire", SYSTEM_ACTOR, "协议期满，系统按期终止"
        )
        done.add("contracts_expired", len(moved))
        keep_tally(conn, "contract_expired", count_by(moved, "village_id"))
    tell_villages(
        db,
        report,
        "contract_expired",
        "{n}份公益性岗位协议已期满终止",
        "协议期满，系统已按期终止；如需继续聘用，请办理续签或拟定新协议。",
        "/contracts?status=expired",
        county=Role.HR,
    )


# --- renewal reminders ------------------------------------------------------------------


def reminder_key(contract_id: int, days: int) -> str:
    return f"renewal:{contract_id}:{days}"


def send_reminders(db: Database, report: SweepReport, opts: SweepOptions) -> None:
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

    for conn, rows, done in chunks(db, query, report, opts, "send_reminders"):
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
                    "已提出续签，不再提醒"
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
            told = [
                told
                for r, left in notices
                for told in reminder_notices(r, left, hr, villages.get(r.village_id, []))
            ]
            done.add("notices", notify_each(s, now, told))
            done.add("reminders_sent", len(notices))
            s.flush()


def reminder_notices(
    r: Any, left: int, hr: list[int], verifiers: list[int]
) -> list[tuple[list[int], Notice]]:
    """A renewal reminder to each who can do something about it, saying what: HR renews (the
    link opens the contract at its 续签 button); the village cannot, so its verifiers are asked
    to tell HR whether the person stays on the post, and to verify the renewal when it comes."""
    title = f"公益性岗位协议{'今天' if left == 0 else f'还有{left}天'}到期：{r.name}（{r.title}）"
    ends = f"协议将于{r.end_date:%Y年%m月%d日}期满"
    for_hr = Notice(
        "renewal_reminder",
        title,
        f"{ends}。如需续聘，请在协议页面办理续签（新协议自期满次日起，期限不超过一年），"
        "到期后系统将自动终止该协议。",
        f"/contracts/{r.id}#renew",
        "contract",
        r.id,
    )
    for_village = Notice(
        "renewal_reminder",
        title,
        f"{ends}。续签由县人社局办理：请向县人社局确认该人员是否继续在岗，需要续聘的请县人社局办理续签；"
        "续签协议提交后，将进入您的待办等待村级核实。到期未续签的，系统将自动终止该协议。",
        f"/contracts/{r.id}",
        "contract",
        r.id,
    )
    village_only = [uid for uid in verifiers if uid not in set(hr)]
    return [(hr, for_hr), (village_only, for_village)]
