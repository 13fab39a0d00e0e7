"""The sweep inside the server: shortly after start, then every few minutes.

It runs in a worker thread so the event loop keeps serving; a failed run is logged and the
next one tries again. Several server processes may each run it: the sweep itself makes sure
only one works at a time (``store.sweep.runner``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import anyio.to_thread

from store.db import Database
from store.sweep import run_sweep
from workflow.config import SmtpSettings, base_url

log = logging.getLogger("fuzhi.scheduler")
FIRST_RUN_AFTER_S = 3.0


def sweep_hooks(
    db: Database, minutes: float
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """``on_startup`` and ``on_shutdown`` hooks; ``minutes`` <= 0 makes them do nothing."""
    task: asyncio.Task[None] | None = None
    smtp = SmtpSettings.from_env()
    site = base_url()

    async def loop() -> None:
        await asyncio.sleep(FIRST_RUN_AFTER_S)
        while True:
            try:
                report = await anyio.to_thread.run_sync(
                    lambda: run_sweep(db, runner="server", smtp=smtp, base_url=site)
                )
                if report.counts:
                    log.info("清扫：%s", report.summary())
            except Exception:
                log.exception("清扫任务失败，将在下次按时重试")
            await asyncio.sleep(minutes * 60)

    async def start() -> None:
        nonlocal task
        if minutes > 0:
            task = asyncio.get_running_loop().create_task(loop(), name="fuzhi-sweep")

    async def stop() -> None:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return start, stop
