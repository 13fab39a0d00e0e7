"""The bank's return file applied to a batch in one go: each row's line confirmed paid with the
bank's reference, marked failed with the bank's reason, or held for finance's decision; and
what each row came to (``RowResult``).

A partially bad file changes exactly its good lines: a file that cannot be read (type,
columns) changes nothing; otherwise each line is taken in its own transaction with its
claim's step (``batches.confirm_line``, ``batches.fail_line``, ``returns.flag_line``, each a
conditional UPDATE), so no line is ever half-changed, and a row that is doubtful (unknown
reference, a reference on two rows, no bank serial, an unreadable date, the bank contradicting
what is recorded) changes nothing and is listed. Importing the same file again changes
nothing: paid lines stay paid once, failed ones failed, held ones held.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from workflow.errors import DomainError, InvalidTransition
from workflow.lists.limits import refuse_early
from workflow.roles import Actor

from .. import heavy
from ..db import Database
from ..documents import rosters as documents
from ..transitions import conflicts_mapped
from .bank_files import ReturnRow, read_return
from .batch_rows import batch_row
from .batches import confirm_line, fail_line, require_finance, settle
from .disputes import dispute
from .models import PayoutLine
from .returns import flag_line

# What a row came to. Changed now: paid, failed, flagged. Nothing to do: already_paid,
# already_failed, awaiting (held, waiting for finance's decision). The rest need a person.
CHANGED = ("paid", "failed", "flagged")
SETTLED = ("already_paid", "already_failed", "awaiting", "absent_settled")
ATTENTION = (
    "disputed",
    "status_mismatch",
    "amount_mismatch",
    "refused",
    "conflict",
    "duplicate",
    "unknown",
    "no_serial",
    "bad_date",
    "missing",
)


@dataclass(frozen=True)
class RowResult:
    row: int | None  # the file's row (header = 1); None for a line the file does not mention
    reference: str  # 附言: the claim number
    outcome: str  # CHANGED, SETTLED or ATTENTION
    payee: str = ""
    expected: Decimal | None = None  # the line's amount
    found: Decimal | None = None  # the file's amount
    bank_status: str = ""
    bank_serial: str = ""
    bank_reason: str = ""
    line_id: int | None = None
    seq: int | None = None
    claim_id: int | None = None
    recorded: str = ""  # what the line holds: its bank reference or failure reason
    message: str = ""  # why a step was refused, as the engine said it


@dataclass
class ReturnImport:
    batch_reference: str
    rows: list[RowResult] = field(default_factory=list)
    roster: documents.Roster | None = None  # a new roster to render, if lines failed

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.rows)

    def count(self, *outcomes: str) -> int:
        return sum(self.counts[o] for o in outcomes)

    @property
    def matched(self) -> int:
        return sum(1 for r in self.rows if r.row is not None and r.line_id is not None)

    @property
    def clean(self) -> bool:
        return not self.count(*ATTENTION)


def import_return(
    db: Database, actor: Actor, batch_id: int, filename: str, content: bytes, paid_on: date | None = None
) -> ReturnImport:
    """Apply the bank's return file to the batch: rows matched to lines by 附言 (the claim
    number). ``paid_on`` is the day paid for rows without their own 交易日期 (default today)."""
    require_finance(actor)
    paid_on = paid_on or db.clock.now().date()
    refuse_early(content)  # most bombs, before they take a worker
    rows = heavy.run(read_return, filename, content)  # in a worker; refused whole before anything changes
    with db.transaction() as s:
        batch = batch_row(s, batch_id)
        if batch.state == "open":
            raise InvalidTransition("payout.not_exported", "该批次尚未导出银行文件，不能导入银行回单")
        if batch.state == "closed":
            raise InvalidTransition("payout.batch_closed", "该批次已关闭")
        lines = {
            str(li.claim_id): li
            for li in s.scalars(
                select(PayoutLine).where(PayoutLine.batch_id == batch_id).order_by(PayoutLine.seq)
            )
        }
        reference = batch.reference
    result = ReturnImport(reference)
    times = Counter(r.reference for r in rows)
    for row in rows:
        line = lines.get(row.reference)
        seen = _seen(row, line)
        if line is None:
            result.rows.append(replace(seen, outcome="unknown"))
        elif times[row.reference] > 1:  # which row is true is for a person to say
            result.rows.append(replace(seen, outcome="duplicate"))
        else:
            result.rows.append(_apply(db, actor, reference, line, row, paid_on, seen))
    for ref, line in lines.items():
        if ref not in times:
            outcome = "missing" if line.status == "pending" else "absent_settled"
            result.rows.append(replace(_seen(None, line), outcome=outcome))
    settle(db, batch_id)
    if result.counts["failed"]:
        result.roster = documents.reissue_roster(db, actor, batch_id)
    return result


def _seen(row: ReturnRow | None, line: PayoutLine | None) -> RowResult:
    return RowResult(
        row=row.row if row else None,
        reference=row.reference if row else str(line.claim_id if line else ""),
        outcome="",
        payee=line.payee_name if line else (row.payee if row else ""),
        expected=line.amount if line else None,
        found=row.amount if row else None,
        bank_status=row.status if row else "",
        bank_serial=row.bank_serial if row else "",
        bank_reason=row.reason if row else "",
        line_id=line.id if line else None,
        seq=line.seq if line else None,
        claim_id=line.claim_id if line else None,
    )


def _apply(
    db: Database,
    actor: Actor,
    batch_ref: str,
    line: PayoutLine,
    row: ReturnRow,
    paid_on: date,
    seen: RowResult,
) -> RowResult:
    """One row against its line as read; each step re-checks the line as it takes it, and a
    line someone else settled meanwhile is reported as it now stands."""
    if line.status == "failed" and not row.failed and line.flagged_at is None and line.decided_at is None:
        # Failed here, paid says the bank: the claim is held until finance has checked.
        return replace(seen, outcome="disputed") if dispute(db, line, row) else _as_now(db, line, row, seen)
    settled = _settled(line, row, seen)
    if settled is not None:
        return settled
    if row.failed:
        return _fail(db, actor, line, row, seen)
    if row.amount != line.amount:
        return replace(seen, outcome="flagged") if flag_line(db, line, row) else _as_now(db, line, row, seen)
    if not row.bank_serial:
        return replace(seen, outcome="no_serial")
    if row.date_text and row.paid_on is None:
        return replace(seen, outcome="bad_date")
    done = confirm_line(db, actor, batch_ref, line.id, row.bank_serial, row.paid_on or paid_on)
    if done.outcome == "paid":
        return replace(seen, outcome="paid", recorded=row.bank_serial)
    if done.outcome == "refused":
        return replace(seen, outcome="refused", message=done.message or "")
    return _as_now(db, line, row, seen)


def _settled(line: PayoutLine, row: ReturnRow, seen: RowResult) -> RowResult | None:
    """The row against a line no longer open to it (held, failed or paid); None if it is."""
    if line.awaiting_decision:
        return replace(seen, outcome="awaiting", recorded=line.flag_reason or "")
    if line.status == "failed":
        outcome = "already_failed" if row.failed else "status_mismatch"
        return replace(seen, outcome=outcome, recorded=line.failure_reason or "")
    if line.status == "paid":
        paid = line.amount if line.paid_amount is None else line.paid_amount
        outcome = (
            "status_mismatch" if row.failed else "already_paid" if row.amount == paid else "amount_mismatch"
        )
        return replace(seen, outcome=outcome, recorded=line.bank_reference or "")
    return None


def _fail(db: Database, actor: Actor, line: PayoutLine, row: ReturnRow, seen: RowResult) -> RowResult:
    """The bank could not pay: the line leaves the batch with the bank's reason (and the
    amount it reported, when that differs), its claim returns to the pool."""
    reason = f"银行回单第{row.row}行：{row.status}" + (f"（{row.reason}）" if row.reason else "")
    if row.amount != line.amount:
        found = "无法识别" if row.amount is None else f"{row.amount:.2f} 元"
        reason += f"；回单金额 {found}，应付 {line.amount:.2f} 元"
    try:
        with conflicts_mapped(), db.transaction() as s:
            fail_line(s, db, actor, line.id, reason)
    except DomainError:  # paid or failed meanwhile
        return _as_now(db, line, row, seen)
    return replace(seen, outcome="failed", recorded=reason)


def _as_now(db: Database, line: PayoutLine, row: ReturnRow, seen: RowResult) -> RowResult:
    """A step that did not take the line: someone settled it meanwhile, or is at it now."""
    with db.transaction() as s:
        now = s.get_one(PayoutLine, line.id)
    return _settled(now, row, seen) or replace(seen, outcome="conflict")
