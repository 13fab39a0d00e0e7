"""Heavy work off the request path: reading an uploaded list and laying out a PDF run in a small
pool of worker processes, so that the server's own process (its event loop, ``/health``, the
inbox) keeps the CPU and the GIL; and no more of them wait than the pool can take.

- ``run(fn, *args)``: ``fn`` (a module-level function: it is sent by name) runs in a worker
  process and its result comes back; the calling thread (a request's worker thread) waits
  without holding the GIL. An error it raises comes back as itself (a ``ValidationFailed``
  is a refusal like any other).
- At most ``workers + waiting`` jobs at once in the whole server: one more is refused at once
  with ``Busy`` (HTTP 503, ``server.busy``, ``Retry-After``) rather than queued without bound.
- The workers run at a lower priority (``nice``) than the server, each with an address-space
  limit (``memory_mb``: a job that needs more fails with ``server.too_complex``, it does not
  take the machine's memory), and the pool is replaced after ``tasks_per_child`` jobs a worker,
  so memory a large job took is given back to the system. (Not ProcessPoolExecutor's own
  ``max_tasks_per_child``: on Python 3.11 a worker leaving at its limit can leave the jobs
  queued behind it waiting for ever, CPython gh-115634; ``bench/bench_hostile_load.py`` met
  it in its fifth run.)
- A worker that dies (killed, crashed) or a job past ``timeout`` answers ``server.worker_lost``
  (503, retryable) and the pool is started afresh; no request hangs on it.

``workers=0`` runs each job in the calling thread, still counted against the same limit: the
command line, the demo and the tests (``FUZHI_HEAVY_WORKERS=0``) need no processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, TypeVar

from workflow.errors import DomainError

log = logging.getLogger("fuzhi.heavy")
T = TypeVar("T")
# Loaded by each worker as it starts, so that its first job does not pay for the imports.
PRELOAD = ("workflow.lists.upload", "printing.layout")


class Busy(DomainError):
    """The server is doing as much heavy work as it takes: try again shortly."""

    code = "server.busy"
    status = 503

    @property
    def retry_after(self) -> int:
        return int(self.details.get("retry_after", 5))


class TooComplex(DomainError):
    code = "server.too_complex"
    status = 413


@dataclass(frozen=True)
class HeavySettings:
    workers: int = 0  # processes; 0: in the calling thread
    waiting: int = 16  # jobs that may wait for a worker beyond those running
    tasks_per_child: int = 50
    memory_mb: int = 2048  # each worker's address space
    timeout: float = 120.0  # seconds one job may take
    nice: int = 10
    retry_after: int = 5

    @classmethod
    def from_env(cls) -> HeavySettings:
        """``FUZHI_HEAVY_WORKERS`` (default: the CPUs), ``FUZHI_HEAVY_WAITING`` (16),
        ``FUZHI_HEAVY_MEMORY_MB`` (2048), ``FUZHI_HEAVY_TIMEOUT`` (120 s)."""
        env = os.environ.get
        return cls(
            workers=int(env("FUZHI_HEAVY_WORKERS", str(os.cpu_count() or 1))),
            waiting=int(env("FUZHI_HEAVY_WAITING", "16")),
            memory_mb=int(env("FUZHI_HEAVY_MEMORY_MB", "2048")),
            timeout=float(env("FUZHI_HEAVY_TIMEOUT", "120")),
        )


def _start_worker(memory_mb: int, nice: int) -> None:
    """In each new worker: a lower priority, an address-space limit, the modules loaded."""
    import importlib
    import resource

    with contextlib.suppress(OSError):
        os.nice(nice)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for name in PRELOAD:
        importlib.import_module(name)


class HeavyPool:
    def __init__(self, settings: HeavySettings | None = None) -> None:
        self.settings = settings or HeavySettings()
        self._slots = threading.BoundedSemaphore(max(self.settings.workers, 1) + self.settings.waiting)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._jobs = 0  # handed to the current executor

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        if not self._slots.acquire(blocking=False):
            raise Busy(
                "server.busy",
                f"服务器正忙：同时处理的上传和文件生成已达上限（{self.capacity}个），请{self.settings.retry_after}秒后重试",
                retry_after=self.settings.retry_after,
            )
        try:
            if self.settings.workers <= 0:
                return fn(*args)
            return self._in_worker(fn, args)
        finally:
            self._slots.release()

    def warm(self) -> None:
        """Start every worker now (each loads what its jobs need), rather than with the first
        jobs; the server does it in the background as it starts."""
        if self.settings.workers > 0:
            executor = self._pool()
            for future in [executor.submit(os.getpid) for _ in range(self.settings.workers)]:
                with contextlib.suppress(Exception):
                    future.result()

    @property
    def capacity(self) -> int:
        return max(self.settings.workers, 1) + self.settings.waiting

    def _in_worker(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        executor = self._pool(job=True)
        try:
            future: Future[T] = executor.submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):  # broken since it was handed out: once more
            self._discard(executor)
            executor = self._pool(job=True)
            future = executor.submit(fn, *args)
        try:
            return future.result(timeout=self.settings.timeout)
        except BrokenProcessPool:
            self._discard(executor)
            log.error("后台工作进程意外退出 %s", getattr(fn, "__name__", fn))
            raise self._lost("处理该请求的后台进程意外退出，请稍后重试") from None
        except FutureTimeout:
            self._discard(executor, kill=True)
            log.error("后台任务超时 %s (%.0fs)", getattr(fn, "__name__", fn), self.settings.timeout)
            raise self._lost(f"处理时间超过{self.settings.timeout:.0f}秒，已中止，请稍后重试") from None
        except MemoryError:
            raise TooComplex(
                "server.too_complex",
                f"处理该文件所需内存超过上限（{self.settings.memory_mb}MB），请拆分后重试",
                limit=self.settings.memory_mb,
            ) from None

    def _lost(self, message: str) -> Busy:
        return Busy("server.worker_lost", message, retry_after=self.settings.retry_after)

    def _pool(self, job: bool = False) -> ProcessPoolExecutor:
        """The executor to hand a job to (``job``: counted): a new one once the current one has
        had ``tasks_per_child`` jobs a worker; the old one finishes what it holds, then exits."""
        retired = None
        with self._lock:
            s = self.settings
            if self._executor is not None and self._jobs >= s.tasks_per_child * max(s.workers, 1):
                retired, self._executor = self._executor, None
            if self._executor is None:
                # spawn, not fork: the server has threads, and a forked child may inherit a held lock
                self._executor = ProcessPoolExecutor(
                    max_workers=s.workers,
                    mp_context=get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(s.memory_mb, s.nice),
                )
                self._jobs = 0
            if job:
                self._jobs += 1
            executor = self._executor
        if retired is not None:
            retired.shutdown(wait=False)
        return executor

    def _discard(self, executor: ProcessPoolExecutor, kill: bool = False) -> None:
        """Start afresh after a worker died or hung: the next job gets a new pool."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        if kill:
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        """The worker processes now (tests kill one to see the pool recover)."""
        executor = self._executor
        return [p.pid for p in (getattr(executor, "_processes", None) or {}).values()] if executor else []

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_current = HeavyPool()


def configure(settings: HeavySettings) -> HeavyPool:
    """The pool the services use from now on (the web app makes one as it starts)."""
    global _current
    old, _current = _current, HeavyPool(settings)
    old.shutdown()
    return _current


def current() -> HeavyPool:
    return _current


def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in the current pool (see the module's docstring)."""
    return _current.run(fn, *args)
