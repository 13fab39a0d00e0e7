"""``fuzhi keys rotate`` (issue 14 §2): every encrypted column re-encrypted and every keyed hash
re-computed under a new master key, in chunks; killed half way it resumes; while it runs the
server keeps answering and finds every person, and afterwards only the new key opens the data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import func, select

from store import all_models
from store.access.users import create_token
from store.db import Database
from store.keys import ensure_keys, problem
from store.keys.models import KeyCheck
from store.keys.rotation import ENCRYPTED, rotate
from store.models import Claim, Organisation, Person, User
from store.payouts.models import PayoutLine
from store.people.persons import PersonInput, create_person, find_person
from store.people.tails import tail_hashes, tail_matches
from workflow.config import read_ring, write_ring
from workflow.pii import Vault

from .builders import claim_in, county, id_number
from .builders_payouts import ORG_ACCOUNT
from .conftest import TEST_SECRET, is_postgres
from .fault_lists import id_numbers
from .live_server import ROOT, SECRET, live_server

PEOPLE = 40


def populate(db: Database) -> list[str]:
    """A county with people (ID and bank numbers), a paid claim (a payout line) and an
    organisation's account; the people's ID numbers (the first ``PEOPLE`` named 人员0, 人员1, …)."""
    c = county(db)
    numbers = [id_number() for _ in range(PEOPLE)]
    with db.transaction() as s:
        for i, number in enumerate(numbers):
            create_person(
                s,
                db,
                PersonInput(
                    name=f"人员{i}",
                    id_number=number,
                    village_id=c.village,
                    target_groups=("poverty_alleviated",),
                    bank_account=f"62170000000000{i:05d}",
                ),
            )
    paid = claim_in(db, c, "finance_paid")
    with db.transaction() as s:
        numbers.append(db.vault.decrypt(s.get_one(Claim, paid.id).person.id_number_enc))
    return numbers


def everyone_is_found(db: Database, numbers: list[str]) -> None:
    """Each person by ID number (the duplicate check's look-up) and by the last four digits,
    the payout lines' and organisations' accounts readable."""
    with db.transaction() as s:
        for number in numbers:
            found = find_person(s, db, number)
            assert found is not None and db.vault.decrypt(found.id_number_enc) == number
            by_tail = s.scalars(select(Person.id).where(tail_matches(tail_hashes(db.vault, number[-4:]))))
            assert found.id in set(by_tail)
        for line in s.scalars(select(PayoutLine)):
            assert db.vault.decrypt(line.account_enc) == ORG_ACCOUNT
        for org in s.scalars(select(Organisation).where(Organisation.bank_account_enc.is_not(None))):
            assert db.vault.decrypt(org.bank_account_enc).isdigit()
        assert s.scalar(select(func.count()).select_from(Person)) == len(set(numbers))


def test_every_encrypted_column_of_the_schema_is_rotated() -> None:
    covered = {(m.__tablename__, c) for m, cols in ENCRYPTED for c in cols}
    encrypted = {
        (t.name, c.name)
        for t in all_models.metadata.sorted_tables
        for c in t.columns
        if c.name.endswith("_enc")
    }
    assert encrypted <= covered, encrypted - covered


def test_a_rotation_rewrites_everything_under_the_new_key(db, tmp_path) -> None:
    numbers = populate(db)
    ensure_keys(db)
    key_file = tmp_path / "master.key"
    write_ring(key_file, [TEST_SECRET])
    new = b"the-rotated-master-secret-0123456789"
    report = rotate(db, read_ring(key_file), lambda r: write_ring(key_file, r), lambda: new, chunk=7, grace=0)
    assert report.rows >= PEOPLE + 2 and report.chunks > PEOPLE // 7
    assert read_ring(key_file) == [new]
    rotated = Database(db.engine, Vault(new), db.clock)
    assert problem(rotated) is None
    everyone_is_found(rotated, numbers)
    # The audit log still verifies: each payout line re-encrypted was sealed anew, saying why.
    from store import audit
    from store.audit.models import AuditEntry

    assert audit.verify(rotated).ok, audit.verify(rotated).breaks
    with db.sessions() as s:
        resealed = s.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "payout.line_resealed")
        ).all()
    assert resealed and all(d["reason"] == "密钥轮换" for d in resealed)
    old = problem(db)
    assert old is not None and old.code == "key.mismatch"
    with db.transaction() as s:  # nothing left that the old key opens
        for enc in s.scalars(select(Person.id_number_enc)):
            with pytest.raises(InvalidToken):
                Vault(TEST_SECRET).decrypt(enc)


def test_a_rotation_ends_even_when_people_are_registered_after_every_chunk(db, tmp_path) -> None:
    """A server keeps registering people during the rotation (under the new key, as it does
    once it has read the two-key file): each table's pass stops at the row that was last when
    the pass began instead of chasing the new ones."""
    numbers = populate(db)
    ensure_keys(db)
    key_file = tmp_path / "master.key"
    write_ring(key_file, [TEST_SECRET])
    new = b"the-rotated-master-secret-0123456789"
    server = Database(db.engine, Vault([new, TEST_SECRET]), db.clock)
    fresh = iter(id_numbers(0, 1_000))
    added: list[str] = []

    def a_server_registers_someone(chunks: int) -> None:
        if chunks > 200:
            raise AssertionError("the rotation chases the rows registered meanwhile")
        with server.transaction() as s:
            for _ in range(4):  # faster than the rotation's 3 a chunk
                added.append(number := next(fresh))
                create_person(
                    s, server, PersonInput(name="新登记", id_number=number, village_id=1, target_groups=())
                )

    report = rotate(
        db,
        read_ring(key_file),
        lambda r: write_ring(key_file, r),
        lambda: new,
        chunk=3,
        grace=0,
        after_chunk=a_server_registers_someone,
    )
    assert report.rows < PEOPLE + 2 + len(added)  # none of those registered meanwhile redone
    everyone_is_found(Database(db.engine, Vault(new), db.clock), numbers + added)


def rotate_command(db_url: str, key_file: Path, pause: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "FUZHI_SECRET_KEY": "",
        "FUZHI_SECRET_FILE": str(key_file),
        "FUZHI_KEY_ROTATE_CHUNK": "5",
        "FUZHI_KEY_ROTATE_PAUSE": pause,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "keys", "rotate"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_rotation_killed_half_way_resumes_and_finishes(db, db_url, tmp_path) -> None:
    numbers = populate(db)
    ensure_keys(db)
    key_file = tmp_path / "keys" / "master.key"
    write_ring(key_file, [TEST_SECRET])
    proc = rotate_command(db_url, key_file, pause="0.3")
    assert proc.stdout is not None
    for line in proc.stdout:  # SIGKILL once three chunks have committed
        if "chunk 3 committed" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    ring = read_ring(key_file)
    assert len(ring) == 2 and ring[1] == TEST_SECRET  # the new key first, the old still held
    with db.transaction() as s:
        row = s.get_one(KeyCheck, 1)
        assert row.next_key_id is not None and (row.cursor or "").startswith("person:")
        done = int((row.cursor or "0").split(":")[1])
        assert 0 < done < PEOPLE
    # Half way, with both keys: every person is still found, whichever key their row is under.
    both = Database(db.engine, Vault(ring), db.clock)
    assert problem(both) is None
    everyone_is_found(both, numbers)
    # Only the old key, half way: refused (it cannot read what is already rotated).
    only_old = problem(db)
    assert only_old is not None and only_old.code == "key.rotation"

    again = rotate_command(db_url, key_file, pause="0")
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out
    assert "续上次中断的轮换" in out
    ring = read_ring(key_file)
    assert len(ring) == 1 and ring[0] != TEST_SECRET
    rotated = Database(db.engine, Vault(ring), db.clock)
    assert problem(rotated) is None
    everyone_is_found(rotated, numbers)
    # The duplicate check still matches: registering a known number again finds the person.
    with rotated.transaction() as s:
        again_person = create_person(
            s,
            rotated,
            PersonInput(
                name="人员0", id_number=numbers[0], village_id=1, target_groups=("poverty_alleviated",)
            ),
        )
        assert rotated.vault.decrypt(again_person.id_number_enc) == numbers[0]
    with rotated.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == len(set(numbers))


@pytest.mark.skipif(is_postgres(), reason="a server on a SQLite file of its own")
def test_a_rotation_while_the_api_takes_requests_leaves_everything_consistent(tmp_path) -> None:
    key_file = tmp_path / "keys" / "master.key"
    write_ring(key_file, [SECRET.encode()])
    made: dict[str, object] = {}

    def prepare(db: Database) -> None:
        made["numbers"] = populate(db)
        with db.transaction() as s:
            agent = s.scalar(select(User).where(User.username == "agent1"))
            made["token"] = create_token(s, db, agent)

    env = {"FUZHI_SECRET_KEY": "", "FUZHI_SECRET_FILE": str(key_file)}
    with live_server(extra_env=env, prepare=prepare) as server:
        numbers: list[str] = list(made["numbers"])  # type: ignore[call-overload]
        auth = {"Authorization": f"Bearer {made['token']}"}
        stop = threading.Event()
        failures: list[str] = []
        registered: list[str] = []
        # Born in 1960, never a number of populate()'s (1990): builders.id_number wraps at 1,000.
        fresh_numbers = iter(id_numbers(0, 20_000))

        def load() -> None:
            with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    k = i % PEOPLE
                    # The same resident again: found, never registered twice.
                    r = client.post("/api/v1/persons", json=body(numbers[k], f"人员{k}"))
                    if r.status_code != 200:
                        failures.append(f"again {r.status_code} {r.text[:200]}")
                    fresh = next(fresh_numbers)
                    r = client.post("/api/v1/persons", json=body(fresh, "新登记"))
                    if r.status_code == 201:
                        registered.append(fresh)
                    else:
                        failures.append(f"new {r.status_code} {r.text[:200]}")
                    if client.get("/health").status_code != 200:
                        failures.append("health")

        workers = [threading.Thread(target=load) for _ in range(2)]
        for w in workers:
            w.start()
        try:
            out = subprocess.run(
                [sys.executable, "-m", "cli", "keys", "rotate"],
                cwd=ROOT,
                env={
                    **os.environ,
                    "DATABASE_URL": str(server.db.engine.url),
                    "FUZHI_SECRET_KEY": "",
                    "FUZHI_SECRET_FILE": str(key_file),
                    "FUZHI_KEY_ROTATE_CHUNK": "5",
                    "FUZHI_KEY_ROTATE_PAUSE": "0.05",
                    "PYTHONPATH": str(ROOT),
                },
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert not failures, failures[:5]
        assert registered, "the load registered nobody"
        # After the rotation the server, under the new key alone, finds everyone.
        assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
        rotated = Database(server.db.engine, Vault(read_ring(key_file)), server.db.clock)
        assert problem(rotated) is None
        everyone_is_found(rotated, numbers + registered)
        with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
            for number in (registered[0], registered[len(registered) // 2], registered[-1]):
                r = client.post("/api/v1/persons/lookup", json={"id_number": number})
                assert r.status_code == 200, r.text


def body(number: str, name: str) -> dict[str, object]:
    return {
        "name": name,
        "id_number": number,
        "village_code": "533422101001",
        "target_groups": ["poverty_alleviated"],
    }
