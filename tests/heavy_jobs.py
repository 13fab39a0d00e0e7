"""Jobs the pool tests send to worker processes (a module of their own: a worker imports it)."""

from __future__ import annotations

import os
import time

from workflow.lists.limits import LimitExceeded


def pid() -> int:
    return os.getpid()


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def refuse() -> None:
    raise LimitExceeded("validation.list_too_many_rows", "第9行有内容", field="file", limit=8)


def hog(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def die() -> None:
    os._exit(3)
