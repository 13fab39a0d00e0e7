"""``fuzhi keys rotate``: every encrypted column re-encrypted and every keyed hash re-computed
under a new master key, 500 rows a transaction, resumable after a kill.

How it stays safe while servers keep answering:

1. The key file is rewritten with the new secret first and the old one second (a ring). Each
   server's vault reads the file again within a second (``workflow.pii.RELOAD_SECONDS``); the
   rotation waits a little longer before touching a row. From then on servers write under the
   new key, decrypt under either, and look people up by the hash under either key.
2. ``key_check`` gets the next key's check value; each chunk then rewrites its rows and moves
   ``key_check.cursor`` (table and last row id) in the same transaction, so a killed rotation
   resumes after the last committed chunk. Each row is rewritten only if it still holds what
   was read (a server may have changed it meanwhile, under the new key); redoing a row is
   harmless, as every hash is computed again from the decrypted number.
3. Last, the next key becomes the key in ``key_check`` and the old secret leaves the file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update

from workflow.pii import CHECK_TEXT, RELOAD_SECONDS, KeyProblem, KeySet, Vault

from ..access.models import UserTotp
from ..audit import chain
from ..db import Database
from ..imports.models import ImportRun
from ..models import Organisation, Person
from ..payouts.models import PayoutLine
from .check import MISMATCH
from .models import KeyCheck

# Every column encrypted under the master key (tests/test_key_rotation.py checks that every
# ``*_enc`` column of the schema is here), in the order a rotation works through them.
ENCRYPTED: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Person, ("id_number_enc", "bank_account_enc")),
    (Organisation, ("bank_account_enc",)),
    (PayoutLine, ("account_enc",)),
    (ImportRun, ("pending_file",)),
    (UserTotp, ("secret_enc", "pending_enc")),
)
GRACE_SECONDS = 2 * RELOAD_SECONDS + 0.5


@dataclass
class RotationReport:
    key_id: str
    rows: int
    chunks: int
    resumed: bool

    def render(self) -> str:
        how = "（续上次中断的轮换）" if self.resumed else ""
        done = f"新密钥编号 {self.key_id}，重写 {self.rows} 行（{self.chunks} 批）"
        return f"主密钥已轮换{how}：{done} / key rotated: key id {self.key_id}, {self.rows} rows"


def plan(ring: list[bytes], row: KeyCheck) -> tuple[bytes, bytes] | None:
    """(new, old) secrets of the rotation to run or resume; None when the ring's first key is
    the data's key and nothing is under way. KeyProblem when the ring does not hold the data's key."""
    ids = [KeySet.from_secret(s).key_id for s in ring]
    if row.key_id not in ids:
        raise KeyProblem("key.mismatch", MISMATCH.format(stored=row.key_id, given=ids[0]))
    old = ring[ids.index(row.key_id)]
    if row.next_key_id is not None:
        if row.next_key_id not in ids:
            raise KeyProblem(
                "key.rotation", f"轮换中的新密钥 {row.next_key_id} 不在密钥文件中 / next key missing"
            )
        return ring[ids.index(row.next_key_id)], old
    if ids[0] != row.key_id:
        return ring[0], old  # the file was written, the database not yet
    return None


def begin(db: Database, new: KeySet) -> None:
    with db.transaction() as s:
        s.execute(
            update(KeyCheck)
            .where(KeyCheck.id == 1)
            .values(
                next_key_id=new.key_id,
                next_check_mac=new.check_mac,
                next_check_token=new.fernet.encrypt(CHECK_TEXT.encode()).decode(),
                cursor=None,
            )
        )


def rewrite_all(
    db: Database, vault: Vault, chunk: int = 500, after_chunk: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Rewrite every encrypted row from the cursor on; returns (rows, chunks)."""
    with db.transaction() as s:
        cursor = s.scalar(select(KeyCheck.cursor).where(KeyCheck.id == 1))
    start_table, _, start_id = (cursor or "").partition(":")
    names = [m.__tablename__ for m, _ in ENCRYPTED]
    first = names.index(start_table) if start_table in names else 0
    rows = chunks = 0
    for index, (model, columns) in enumerate(ENCRYPTED[first:], start=first):
        after = int(start_id) if index == first and start_id else 0
        # Rows added from now on are written under the new key (every server has read the
        # two-key file before begin()): each table's pass ends at the last row it holds now
        # and never chases a table that keeps growing.
        with db.transaction() as s:
            upto = s.scalar(select(func.max(_key(model.__table__)))) or 0
        while after < upto:
            done, after = _chunk(db, vault, model, columns, after, upto, chunk)
            rows, chunks = rows + done, chunks + 1
            if after_chunk is not None:
                after_chunk(chunks)
    return rows, chunks


def _chunk(
    db: Database, vault: Vault, model: Any, columns: tuple[str, ...], after: int, upto: int, size: int
) -> tuple[int, int]:
    table = model.__table__
    name = table.name
    with db.transaction() as s:
        # A write first: on SQLite it takes the write lock before the rows are read.
        s.execute(update(KeyCheck).where(KeyCheck.id == 1).values(cursor=f"{name}:{after}"))
        cols = [table.c[c] for c in columns]
        key = _key(table)
        found = s.execute(select(key, *cols).where(key > after, key <= upto).order_by(key).limit(size)).all()
        params = [p for row in found if (p := _rewritten(vault, model, columns, row)) is not None]
        if params:
            s.execute(_statement(model, columns), params)
            if model is PayoutLine:  # the audit log seals each line's ciphertext: sealed anew
                chain.reseal_lines(s.connection(), [p["_pk"] for p in params], db.clock.now(), "密钥轮换")
        last = found[-1][0] if len(found) == size else upto
        s.execute(update(KeyCheck).where(KeyCheck.id == 1).values(cursor=f"{name}:{last}"))
    return len(found), last


def _rewritten(vault: Vault, model: Any, columns: tuple[str, ...], row: Any) -> dict[str, Any] | None:
    """One row's parameters: its values as read, and as rewritten under the ring's first key
    (each keyed hash computed again from the decrypted number)."""
    pk, *olds = row
    if all(o is None for o in olds):
        return None
    out: dict[str, Any] = {"_pk": pk}
    for column, old in zip(columns, olds, strict=True):
        plain = vault.decrypt(old) if old is not None else None
        out[f"_old_{column}"] = old
        out[f"_new_{column}"] = vault.encrypt(plain) if plain is not None else None
        if model is Person and column == "id_number_enc" and plain is not None:
            out["_new_id_number_hash"] = vault.digest(plain)
            out["_new_id_tail_hash"] = vault.tail_digest(plain[-4:])
    return out


def _statement(model: Any, columns: tuple[str, ...]) -> Any:
    """UPDATE … WHERE id = ? AND each column still holds what was read (a server may have
    changed the row meanwhile, under the new key: then it is left as the server wrote it)."""
    table = model.__table__
    values: dict[str, Any] = {c: bindparam(f"_new_{c}") for c in columns}
    if model is Person:
        values.update(
            id_number_hash=bindparam("_new_id_number_hash"), id_tail_hash=bindparam("_new_id_tail_hash")
        )
    same = [table.c[c].is_not_distinct_from(bindparam(f"_old_{c}")) for c in columns]
    return table.update().where(_key(table) == bindparam("_pk"), *same).values(values)


def _key(table: Any) -> Any:
    """The row's own key (``id``, or ``user_id`` for a user's TOTP secret)."""
    return next(iter(table.primary_key.columns))


def finish(db: Database) -> str:
    with db.transaction() as s:
        row = s.get(KeyCheck, 1)
        assert row is not None and row.next_key_id and row.next_check_mac and row.next_check_token
        row.key_id, row.check_mac, row.check_token = row.next_key_id, row.next_check_mac, row.next_check_token
        row.next_key_id = row.next_check_mac = row.next_check_token = row.cursor = None
        row.rotated_at = db.clock.now()
        return row.key_id


def rotate(
    db: Database,
    ring: list[bytes],
    write_ring: Callable[[list[bytes]], None],
    new_secret: Callable[[], bytes],
    chunk: int = 500,
    grace: float = GRACE_SECONDS,
    after_chunk: Callable[[int], None] | None = None,
) -> RotationReport:
    """Run (or resume) a rotation; ``write_ring`` replaces the key file's secrets."""
    with db.transaction() as s:
        row = s.get(KeyCheck, 1)
    if row is None:
        raise KeyProblem("key.no_check", "数据库还没有密钥校验值：请先启动一次服务或运行 fuzhi keys check")
    resumed = row.next_key_id is not None
    pair = plan(ring, row)
    if pair is None:
        if len(ring) > 1:  # finished before, the old secret not yet dropped from the file
            write_ring([ring[0]])
            return RotationReport(row.key_id, 0, 0, True)
        new, old = new_secret(), ring[0]
        write_ring([new, old])
    else:
        new, old = pair
        resumed = True
        write_ring([new, old])
    if not resumed or row.next_key_id is None:
        time.sleep(grace)  # every server reads the two-key file before a row changes
        begin(db, KeySet.from_secret(new))
    vault = Vault([new, old])
    rows, chunks = rewrite_all(db, vault, chunk, after_chunk)
    key_id = finish(db)
    write_ring([new])
    return RotationReport(key_id, rows, chunks, resumed)


def chunk_from_env() -> int:
    return int(os.environ.get("FUZHI_KEY_ROTATE_CHUNK", "500"))
