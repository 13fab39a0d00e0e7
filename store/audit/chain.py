"""The hash chain: an entry's canonical JSON and hash, the digest of a protected row (a history
row; a payout line's account ciphertext and amount), and appending entries under the head's
row lock so that two writers never fork the chain.

An entry's hash is ``sha256(canonical JSON of its fields + prev_hash)``; canonical JSON has
sorted keys, no spaces, UTF-8 text, datetimes as ISO 8601 and money as a string with two places.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from ..models import ClaimHistory, ContractHistory
from ..payouts.models import PayoutHistory, PayoutLine
from .models import AuditEntry, AuditHead

ENTRY = AuditEntry.__table__
HEAD = AuditHead.__table__
# What an entry's hash covers besides ``prev_hash`` (``hash`` itself excluded).
FIELDS = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "client",
    "action",
    "target_kind",
    "target_id",
    "outcome",
    "detail",
    "row_table",
    "row_id",
    "row_digest",
)
# The protected tables, each with the columns its digest covers; a history row's case column.
HISTORY = {"claim_history": "claim_id", "contract_history": "contract_id", "payout_history": "batch_id"}
HISTORY_COLUMNS = ("trigger", "from_state", "to_state", "actor_id", "actor_name", "role", "at", "comment")
LINE_COLUMNS = ("batch_id", "claim_id", "payee_kind", "payee_name", "account_enc", "account_last4", "amount")
WORKFLOW_OF = {"claim_history": "claim", "contract_history": "contract", "payout_history": "payout"}


def plain(value: Any) -> Any:
    """A value JSON has no form for, as the chain writes it: datetimes without a zone, to the
    microsecond; dates; money with two places."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=plain).encode


def canonical(values: Mapping[str, Any]) -> bytes:
    return _ENCODE(values).encode()


def entry_hash(entry: Mapping[str, Any], prev_hash: str) -> str:
    body = canonical({f: entry.get(f) for f in FIELDS})
    return hashlib.sha256(body + prev_hash.encode()).hexdigest()


def columns_of(table: str) -> tuple[str, ...]:
    if table == "payout_line":
        return ("id", *LINE_COLUMNS, "updated_at")
    return ("id", HISTORY[table], *HISTORY_COLUMNS)


def row_digest(table: str, row: Mapping[str, Any]) -> str:
    """The digest of what a protected row must keep: every column of a history row, and a
    payout line's batch, claim, payee, account (its ciphertext) and amount."""
    cols = ("id", *LINE_COLUMNS) if table == "payout_line" else ("id", HISTORY[table], *HISTORY_COLUMNS)
    return hashlib.sha256(canonical({c: row[c] for c in cols})).hexdigest()


def account_digest(account_enc: str) -> str:
    """A payout line's account as the chain keeps it: a digest of the ciphertext (no key, no
    number), so a line given another person's ciphertext is told apart from a changed amount."""
    return hashlib.sha256(account_enc.encode()).hexdigest()[:32]


def read_rows(conn: Connection, table: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The protected rows ``ids`` of ``table``, as the digest reads them."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found += [dict(r._mapping) for r in conn.execute(_READS[table], {"ids": chunk})]
    return found


def sealed_entry(table: str, row: Mapping[str, Any], who: Mapping[str, Any]) -> dict[str, Any]:
    """The entry that seals one protected row: a history row is the transition it records
    (its actor, role and time); a payout line carries its account digest and amount."""
    digest = row_digest(table, row)
    if table == "payout_line":
        return {
            "at": row["updated_at"],
            **who,
            "action": "payout.line",
            "target_kind": "payout_batch",
            "target_id": str(row["batch_id"]),
            "outcome": "ok",
            "detail": {
                "claim": row["claim_id"],
                "amount": plain(row["amount"]),
                "account": account_digest(row["account_enc"]),
            },
            "row_table": table,
            "row_id": row["id"],
            "row_digest": digest,
        }
    workflow = WORKFLOW_OF[table]
    return {
        "at": row["at"],
        "user_id": row["actor_id"],
        "username": who.get("username") if who.get("user_id") == row["actor_id"] else row["actor_name"],
        "role": row["role"],
        "client": who.get("client"),
        "action": f"{workflow}.{row['trigger']}",
        "target_kind": workflow,
        "target_id": str(row[HISTORY[table]]),
        "outcome": "ok",
        "detail": {"from": row["from_state"], "to": row["to_state"]},
        "row_table": table,
        "row_id": row["id"],
        "row_digest": digest,
    }


def append(conn: Connection, entries: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
    """Append ``entries`` at the chain's end in the caller's transaction; returns the new head.
    The head row is updated first, which takes its row lock (PostgreSQL) or the write lock
    (SQLite) until commit: a concurrent writer waits, then continues from this head."""
    rows = [dict(e) for e in entries]
    if not rows:
        return head(conn)
    taken = conn.execute(_TAKE, {"n": len(rows)}).one()
    seq, prev = taken.seq - len(rows), taken.hash
    for row in rows:
        seq += 1
        row["seq"] = seq
        row.setdefault("detail", {})
        row["prev_hash"] = prev
        row["hash"] = prev = entry_hash(row, prev)
    conn.execute(_INSERT, [{c: row.get(c) for c in _ENTRY_COLUMNS} for row in rows])
    conn.execute(_MOVE, {"h": prev})
    return seq, prev


def reseal_lines(conn: Connection, ids: Sequence[int], at: Any, reason: str) -> None:
    """Seal payout lines again after a legitimate rewrite of their account's ciphertext (a key
    rotation re-encrypts it): the entry names the reason, and verify then reads the line against
    this newest seal. The number itself is unchanged and never written here."""
    who = {"user_id": 0, "username": "system", "role": "system", "client": None}
    entries = []
    for row in read_rows(conn, "payout_line", ids):
        sealed = sealed_entry("payout_line", row, who)
        entries.append(
            {
                **sealed,
                "at": at,
                "action": "payout.line_resealed",
                "detail": {**sealed["detail"], "reason": reason},
            }
        )
    append(conn, entries)


def head(conn: Connection) -> tuple[int, str]:
    found = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
    return int(found.seq), str(found.hash)


TABLES: dict[str, Table] = {
    "claim_history": ClaimHistory.__table__,
    "contract_history": ContractHistory.__table__,
    "payout_history": PayoutHistory.__table__,
    "payout_line": PayoutLine.__table__,
}
# Statements built once (SQLAlchemy's compiled cache then serves every append).
_TAKE = (
    update(HEAD)
    .where(HEAD.c.id == 1)
    .values(seq=HEAD.c.seq + bindparam("n"))
    .returning(HEAD.c.seq, HEAD.c.hash)
)
_MOVE = update(HEAD).where(HEAD.c.id == 1).values(hash=bindparam("h"))
_INSERT = insert(ENTRY)
_ENTRY_COLUMNS = tuple(c.name for c in ENTRY.c)
_READS = {
    name: select(*(t.c[c] for c in columns_of(name))).where(t.c.id.in_(bindparam("ids", expanding=True)))
    for name, t in TABLES.items()
}
