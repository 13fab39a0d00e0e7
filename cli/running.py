"""What runs the application: ``fuzhi serve`` (the web app), ``fuzhi sweep`` (the time-driven
work, for cron) and ``fuzhi machines`` (the state-machine diagrams)."""

from __future__ import annotations

import argparse
import os
import sys

from .database import open_db


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from workflow.config import Settings

    open_db()  # a missing or wrong master key ends here, with the message that says so
    settings = Settings.from_env()
    tell_if_nobody_can_sign_in()
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
    )
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """What cron runs: one sweep (expiry, overdue flags, reminders, monthly post claims, e-mail)."""
    from store.sweep import run_sweep
    from workflow.config import SmtpSettings, base_url

    report = run_sweep(
        open_db(), runner=f"cli:{os.getpid()}", smtp=SmtpSettings.from_env(), base_url=base_url()
    )
    print(report.summary())
    return 0


def cmd_machines(args: argparse.Namespace) -> int:
    from workflow.diagram import all_diagrams

    print(all_diagrams())
    return 0


def tell_if_nobody_can_sign_in() -> None:
    """A county's own database before ``fuzhi setup``: say how to make the first admin."""
    from sqlalchemy.exc import SQLAlchemyError

    from store.access import admins

    try:
        if admins(open_db()):
            return
    except SQLAlchemyError:  # not migrated yet: the server says so itself
        return
    print(
        "注意：还没有系统管理员，无人能登录。请先运行 fuzhi setup（或 make setup）创建第一位管理员。",
        file=sys.stderr,
    )
