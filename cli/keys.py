"""The master key: made once at setup (never by a server), checked by every command and the
server, rotated by ``fuzhi keys rotate``; ``fuzhi keys check`` says whether the key given is the
one the data is under."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time


def cmd_keys(args: argparse.Namespace) -> int:
    from .database import open_db

    if args.action == "check":
        open_db()  # refuses a wrong or missing key, writes the check value on first use
        print("主密钥与数据库相符 / the master key matches the database")
        return 0
    return rotate()


def rotate() -> int:
    from store.keys import chunk_from_env
    from store.keys import rotate as run
    from workflow.config import read_ring, secret_file, write_ring
    from workflow.pii import KeyProblem

    from .database import open_db

    if os.environ.get("FUZHI_SECRET_KEY"):
        print(
            "主密钥来自环境变量 FUZHI_SECRET_KEY，无法轮换：请改用密钥文件（FUZHI_SECRET_FILE）。 / "
            "The key comes from FUZHI_SECRET_KEY: rotation needs it in a key file (FUZHI_SECRET_FILE).",
            file=sys.stderr,
        )
        return 2
    db = open_db(check=False)
    path = secret_file()
    pause = float(os.environ.get("FUZHI_KEY_ROTATE_PAUSE", "0"))  # tests: time to kill it mid-way

    def after_chunk(done: int) -> None:
        print(f"  第 {done} 批已提交 / chunk {done} committed", flush=True)
        if pause:
            time.sleep(pause)

    try:
        report = run(
            db,
            read_ring(path),
            lambda ring: write_ring(path, ring),
            lambda: secrets.token_urlsafe(48).encode(),
            chunk=chunk_from_env(),
            after_chunk=after_chunk,
        )
    except KeyProblem as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(report.render())
    print(f"请重新备份新的主密钥文件 {path}（旧备份已不能打开数据） / back up the new key file {path} again")
    return 0
