"""Work the server does after answering: a small pool of threads for slow jobs (a large
roster), so a request returns at once and the page offers the download when it is ready.

Heavy CPU work inside a job runs in worker processes (the roster is laid out in page ranges
in parallel), so these threads mostly wait; two are enough and keep memory bounded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from threading import Lock
from typing import Any

log = logging.getLogger("fuzhi.jobs")


class Jobs:
    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fuzhi-job")
        self._lock = Lock()
        self._running: set[Future[Any]] = set()

    def submit(self, name: str, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        future = self._pool.submit(fn, *args)
        with self._lock:
            self._running.add(future)

        def _done(f: Future[Any]) -> None:
            with self._lock:
                self._running.discard(f)
            if (exc := f.exception()) is not None:
                log.error("后台任务失败 %s: %s", name, type(exc).__name__, exc_info=exc)

        future.add_done_callback(_done)
        return future

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the jobs running now (tests, and a clean shutdown)."""
        with self._lock:
            running = list(self._running)
        wait(running, timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
