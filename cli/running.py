"""What runs the application: ``fuzhi serve`` (the web app), ``fuzhi sweep`` (the time-driven
work, for cron) and ``fuzhi machines`` (the state-machine diagrams)."""

from __future__ import annotations

import argparse
import os

from .database import open_db


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from workflow.config import Settings

    settings = Settings.from_env()
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
