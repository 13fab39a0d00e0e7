"""Keys that cannot be lost silently (issue 14 §2, §13): one master secret kept away from the
database gives separate keys; a check value stored with the data refuses a wrong or missing key
at start (server and CLI) and in ``/health``; a server never makes a key of its own; what the
server creates is readable by the service user only."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import update

from cli import main
from store.db import Database
from store.keys import ensure_keys, problem
from store.keys.models import KeyCheck
from web.app import create_app
from workflow import config
from workflow.clock import FrozenClock
from workflow.pii import KeyProblem, KeySet, Vault, _derive

from .builders import county, person
from .conftest import TEST_NOW, TEST_SECRET, is_postgres
from .live_server import ROOT, SECRET, free_port, live_server

WRONG = b"another-installations-secret-0123456789"


def test_one_master_secret_gives_a_separate_key_for_each_purpose() -> None:
    keys = KeySet.from_secret(TEST_SECRET)
    derived = {keys.lookup, keys.tail, keys.csrf, _derive(TEST_SECRET, b"fuzhi/encrypt")}
    assert len(derived) == 4 and TEST_SECRET not in derived
    vault = Vault(TEST_SECRET)
    # The look-up hash is the one databases made before hold (same HKDF label), and the CSRF
    # secret is no longer a look-up hash of a fixed text.
    lookup = hmac.new(_derive(TEST_SECRET, b"fuzhi/lookup"), b"x", hashlib.sha256).hexdigest()
    assert vault.digest("x") == lookup
    assert vault.csrf_secret() != vault.digest("csrf-secret") and vault.csrf_secret() == keys.csrf.hex()
    assert vault.tail_digest("123X") != vault.digest("123X")


def test_the_key_file_lives_outside_the_data_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("FUZHI_SECRET_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert config.secret_file() == tmp_path / "config" / "fuzhi" / "master.key"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert config.secret_file() == Path("/etc/fuzhi/master.key")
    monkeypatch.setenv("FUZHI_SECRET_FILE", str(tmp_path / "keys" / "k"))
    assert config.secret_file() == tmp_path / "keys" / "k"


def test_setup_makes_the_key_readable_by_its_owner_only(monkeypatch, tmp_path) -> None:
    key = tmp_path / "keys" / "master.key"
    monkeypatch.setenv("FUZHI_SECRET_FILE", str(key))
    monkeypatch.delenv("FUZHI_SECRET_KEY", raising=False)
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the data directory's own SQLite file
    assert main(["setup", "--username", "admin1", "--password", "long-enough-1"]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert not (tmp_path / "data" / "secret.key").exists()
    assert stat.S_IMODE((tmp_path / "data" / "fuzhi.db").stat().st_mode) == 0o600
    assert main(["keys", "check"]) == 0
    # The same database without the key: refused, and no new key made behind its back.
    key.unlink()
    assert main(["keys", "check"]) == 2
    assert main(["demo"]) == 2
    assert main(["db", "upgrade"]) == 2
    assert not key.exists()


def test_a_key_left_beside_the_database_moves_out(monkeypatch, tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_text("an-older-installations-secret-0123456789\n")
    monkeypatch.setenv("FUZHI_DATA_DIR", str(data))
    monkeypatch.setenv("FUZHI_SECRET_FILE", str(tmp_path / "etc" / "master.key"))
    monkeypatch.delenv("FUZHI_SECRET_KEY", raising=False)
    assert config.master_secret() == b"an-older-installations-secret-0123456789"
    assert not (data / "secret.key").exists()
    assert stat.S_IMODE((tmp_path / "etc" / "master.key").stat().st_mode) == 0o600


def test_no_key_at_all_is_refused_by_name(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("FUZHI_SECRET_FILE", str(tmp_path / "none" / "master.key"))
    monkeypatch.delenv("FUZHI_SECRET_KEY", raising=False)
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(KeyProblem) as refused:
        config.Settings.from_env()
    assert refused.value.code == "key.missing"
    assert "找不到主密钥" in refused.value.message and "No master key found" in refused.value.message
    assert str(tmp_path / "none" / "master.key") in refused.value.message
    assert not (tmp_path / "none").exists()


def test_the_check_value_is_written_once_and_a_wrong_key_is_refused(db) -> None:
    c = county(db)
    person(db, c.village)
    ensure_keys(db)  # the first start writes the check value under the key given
    with db.transaction() as s:
        row = s.get_one(KeyCheck, 1)
        assert row.key_id == KeySet.from_secret(TEST_SECRET).key_id
        assert TEST_SECRET.decode() not in (row.check_mac + row.check_token)
    ensure_keys(db)  # the same key: nothing to say
    wrong = Database(db.engine, Vault(WRONG), db.clock)
    found = problem(wrong)
    assert found is not None and found.code == "key.mismatch"
    assert "主密钥与数据库不符" in found.message and "does not match this database" in found.message
    with pytest.raises(KeyProblem):
        create_app(wrong, files=Path("/nonexistent"))


def test_health_answers_503_when_the_key_does_not_match(db) -> None:
    ensure_keys(db)
    with TestClient(app=create_app(db, files=Path("/nonexistent"))) as client:
        assert client.get("/health").json()["status"] == "ok"
        with db.transaction() as s:  # the data now claims another key: as if the key were swapped
            s.execute(update(KeyCheck).values(key_id="0" * 16))
        r = client.get("/health")
        assert r.status_code == 503 and r.json()["status"] == "key mismatch"


def test_the_cli_refuses_a_wrong_key(db, db_url, monkeypatch, capsys) -> None:
    county(db)
    ensure_keys(db)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", WRONG.decode())
    for command in (["keys", "check"], ["sweep"], ["org", "list"], ["serve"]):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert "key.mismatch" in err and "主密钥与数据库不符" in err, command
    monkeypatch.setenv("FUZHI_SECRET_KEY", TEST_SECRET.decode())
    assert main(["keys", "check"]) == 0


@pytest.mark.skipif(is_postgres(), reason="a server on a SQLite file of its own")
def test_a_second_server_without_the_key_or_with_another_refuses_to_start(tmp_path) -> None:
    with live_server() as server:
        assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
        url = str(server.db.engine.url)
        for secret in ("", WRONG.decode()):
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "FUZHI_SECRET_KEY": secret,
                "FUZHI_SECRET_FILE": str(tmp_path / "no-key-here" / "master.key"),
                "FUZHI_DATA_DIR": str(tmp_path / "second"),
                "PYTHONPATH": str(ROOT),
            }
            out = subprocess.run(
                [sys.executable, "-m", "cli", "serve", "--port", str(free_port())],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.returncode == 2, out.stderr
            code = "key.missing" if not secret else "key.mismatch"
            assert code in out.stderr, out.stderr
        assert not (tmp_path / "no-key-here").exists()  # no key was made


@pytest.mark.skipif(is_postgres(), reason="the files of a SQLite database")
def test_the_database_and_kept_files_are_readable_by_the_service_user_only(tmp_path) -> None:
    work = tmp_path / "work"
    files = work / "files" / "ab"
    files.mkdir(parents=True)
    old = files / "abcdef"
    old.write_bytes(b"evidence kept by an older version")
    old.chmod(0o644)
    files.chmod(0o755)

    def prepare(db: Database) -> None:
        c = county(db)
        person(db, c.village)

    with live_server(prepare=prepare, work=work, clock=FrozenClock(TEST_NOW)) as server:
        assert server.process is not None
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        assert "Umask:\t0077" in status  # what the server creates from now on
        assert httpx.get(f"{server.url}/health").status_code == 200
        for name in ("fuzhi.db", "fuzhi.db-wal", "fuzhi.db-shm"):
            path = work / name
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert stat.S_IMODE((work / "files").stat().st_mode) == 0o700
        assert stat.S_IMODE(files.stat().st_mode) == 0o700
        assert stat.S_IMODE(old.stat().st_mode) == 0o600
        assert SECRET  # the live server's key comes from the environment, never a file in work
        assert not (work / "secret.key").exists()
