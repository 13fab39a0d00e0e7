"""The database commands and helpers: the Alembic configuration and upgrade, opening the
database the settings name, ``fuzhi db`` and ``fuzhi demo``."""

from __future__ import annotations

import argparse
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


def open_db() -> Database:
    from store.db import Database
    from workflow.config import Settings

    settings = Settings.from_env()
    return Database.connect(settings.database_url, settings.secret)


def cmd_db(args: argparse.Namespace) -> int:
    from alembic import command

    if args.action == "upgrade":
        upgrade()
        print("数据库已升级到最新版本 (alembic upgrade head)")
    elif args.action == "check":
        command.check(alembic_config())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from demo import load_demo

    upgrade()
    report = load_demo(open_db())
    print(report.render() if hasattr(report, "render") else report)
    return 0
