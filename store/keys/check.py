"""The key check at start: the master key given must be the one the data is under.

A server or command given a wrong key, or none, would hash past every registered person (the
same resident registered again, paid twice) and fail on every encrypted number. So the check
value stored with the data (``KeyCheck``) is compared before anything else runs, and a
mismatch stops the server with a message that names the problem; ``/health`` asks the same.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from workflow.pii import CHECK_TEXT, KeyProblem

from ..db import Database
from ..models import Person, User
from .models import KeyCheck

CHUNK = 500

MISMATCH = (
    "主密钥与数据库不符（key mismatch）：数据是用另一把主密钥加密和散列的（密钥编号 {stored}，"
    "本机为 {given}）。请使用本数据库原来的主密钥文件，服务未启动。 / "
    "The master key does not match this database: its data was encrypted and hashed under "
    "another key (key id {stored}, this one is {given}). Use this database's own master key "
    "file; the server was not started."
)
NEEDS_BOTH = (
    "主密钥轮换正在进行，本机只有其中一把密钥（需要 {need}）。请使用轮换后的主密钥文件（含新旧两把），"
    "或先运行 fuzhi keys rotate 完成轮换。 / A key rotation is under way and this process holds "
    "only one of its keys (it needs {need}). Use the key file the rotation wrote (holding both) "
    "or run `fuzhi keys rotate` to finish it."
)


def read_check(db: Database) -> KeyCheck | None:
    with db.transaction() as s:
        return s.get(KeyCheck, 1)


def migrated(db: Database) -> bool:
    return inspect(db.engine).has_table(KeyCheck.__tablename__)


def initialised(db: Database) -> bool:
    """Whether the database holds anything a key protects or names (so no new key may be made)."""
    if not migrated(db):
        return False
    with db.transaction() as s:
        if s.get(KeyCheck, 1) is not None:
            return True
        return bool(
            s.scalar(select(func.count()).select_from(Person))
            or s.scalar(select(func.count()).select_from(User))
        )


def problem(db: Database) -> KeyProblem | None:
    """What is wrong with the key given for this database, or None when it is the right one."""
    try:
        row = read_check(db)
    except (OperationalError, ProgrammingError):
        return None  # not migrated yet: nothing is under any key
    if row is None:
        return None
    vault = db.vault
    held = set(vault.key_ids)
    given = vault.current.key_id
    if row.next_key_id is None:
        if row.key_id not in held:
            return KeyProblem("key.mismatch", MISMATCH.format(stored=row.key_id, given=given))
        keyset = next(k for k in vault.ring if k.key_id == row.key_id)
        if keyset.check_mac != row.check_mac or not vault.can_decrypt(row.check_token, row.key_id):
            return KeyProblem("key.mismatch", MISMATCH.format(stored=row.key_id, given=given))
        return None
    missing = [k for k in (row.key_id, row.next_key_id) if k not in held]
    if len(missing) == 2:
        return KeyProblem("key.mismatch", MISMATCH.format(stored=row.key_id, given=given))
    if missing:
        return KeyProblem("key.rotation", NEEDS_BOTH.format(need=missing[0]))
    return None


def ensure_keys(db: Database) -> None:
    """Refuse a wrong key (:class:`KeyProblem`); on the first start with this version, write
    the check value under the key given and fill the keyed hashes of the ID numbers' tails."""
    if not migrated(db):
        return
    if (found := problem(db)) is not None:
        raise found
    with db.transaction() as s:
        if s.get(KeyCheck, 1) is None:
            s.add(check_row(db))
    fill_tail_hashes(db)


def check_row(db: Database) -> KeyCheck:
    keys = db.vault.current
    return KeyCheck(
        id=1,
        key_id=keys.key_id,
        check_mac=keys.check_mac,
        check_token=keys.fernet.encrypt(CHECK_TEXT.encode()).decode(),
        written_at=db.clock.now(),
    )


def fill_tail_hashes(db: Database) -> int:
    """The keyed hash of each ID number's last four digits where it is still empty (rows from
    before ``c5e8a1d2f047``), 500 rows a transaction. Returns how many were filled; a number no
    key of the ring opens stays empty (and unfound by its tail)."""
    table = Person.__table__
    fill = (
        table.update()
        .where(table.c.id == bindparam("_pk"), table.c.id_tail_hash.is_(None))
        .values(id_tail_hash=bindparam("_tail"))
    )
    filled, after = 0, 0
    while True:
        with db.transaction() as s:
            rows = s.execute(
                select(Person.id, Person.id_number_enc)
                .where(Person.id_tail_hash.is_(None), Person.id > after)
                .order_by(Person.id)
                .limit(CHUNK)
            ).all()
            params = []
            for pk, enc in rows:
                try:
                    params.append({"_pk": pk, "_tail": db.vault.tail_digest(db.vault.tail(enc))})
                except InvalidToken:
                    continue
            if params:
                s.execute(fill, params)
            filled += len(params)
        if len(rows) < CHUNK:
            return filled
        after = rows[-1][0]
