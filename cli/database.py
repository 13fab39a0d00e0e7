"""The database commands and helpers: the Alembic configuration and upgrade, opening the
database the settings name, ``fuzhi db`` and ``fuzhi demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: each command imports what it uses
    from alembic.config import Config

    from store.db import Database

ROOT = Path(__file__).resolve().parents[1]


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    from workflow.config import database_url

    cfg = Config(toml_file=str(ROOT / "pyproject.toml"))
    cfg.attributes["url"] = url or database_url()
    return cfg


def upgrade(url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def open_db(check: bool = True) -> Database:
    """The database the settings name, under the installation's master key. A missing key, or
    one that is not the key the data is under, ends the command with the message that says so."""
    from store.db import Database, tighten_files
    from store.keys import ensure_keys
    from workflow.config import Settings, key_ring_reader

    settings = Settings.from_env()  # KeyProblem: no key (``fuzhi`` prints it and exits 2)
    db = Database.connect(settings.database_url, settings.secret, reload=key_ring_reader())
    tighten_files(db)
    if check:
        ensure_keys(db)  # KeyProblem: not the key the data is under
    return db


BACKUP_NOTE = (
    "已生成主密钥 {path}（仅本用户可读）。请另行备份此文件，切勿与数据库放在同一备份中；"
    "丢失它，已加密的身份证号和银行账号将无法恢复。 / Master key created at {path} (owner-only). "
    "Back it up separately, never in the same backup as the database: without it the encrypted "
    "ID and bank numbers cannot be recovered."
)


def ensure_master_key() -> bool:
    """Setup's step (``fuzhi setup``, ``fuzhi demo``, ``fuzhi db upgrade``): make the master
    key when there is none and the database is empty; refuse (False, with the message) when
    there is none and the database holds data."""
    from store.db import Database
    from store.keys import initialised
    from workflow.config import MISSING_KEY, create_master_secret, database_url, master_ring, secret_file

    if master_ring():
        return True
    probe = Database.connect(database_url(), b"probe-only-never-stored-key")
    try:
        holds_data = initialised(probe)
    finally:
        probe.engine.dispose()
    if holds_data:
        print(MISSING_KEY.format(path=secret_file()), file=sys.stderr)
        return False
    path = create_master_secret()
    print(BACKUP_NOTE.format(path=path))
    return True


def cmd_db(args: argparse.Namespace) -> int:
    from alembic import command

    if args.action == "upgrade":
        upgrade()
        print("数据库已升级到最新版本 (alembic upgrade head)")
        if not ensure_master_key():
            return 2
        open_db()  # writes the key check value and the ID tails' hashes (c5e8a1d2f047)
    elif args.action == "check":
        command.check(alembic_config())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from demo import load_demo

    upgrade()
    if not ensure_master_key():
        return 2
    report = load_demo(open_db())
    print(report.render() if hasattr(report, "render") else report)
    return 0
