"""The audit log's cost: a transition with and without the chain's seal (the hooks removed),
the seal of many history rows written in one transaction, and ``fuzhi audit verify`` over a
chain of N entries sealing N history rows.

    .venv/bin/python bench/bench_audit.py [--n 1000] [--chain 100000] [--pg URL]

Prints a Markdown table; docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_transitions import NOW, SECRET, VERIFIER, seed_claims
from sqlalchemy import insert

import store.claims.filing  # noqa: F401  (registers the services some steps hand over to)
from bench.databases import fresh_pg, fresh_sqlite
from store import audit
from store.audit import recording
from store.db import Database
from store.models import ClaimHistory
from store.transitions import transition
from workflow.clock import FrozenClock


def step_ms(url: str, n: int, sealed: bool) -> tuple[float, float]:
    """Milliseconds per transition (verify), wall clock and this process's CPU, with the audit
    seal or with its hooks removed (the CPU figure does not wait on the disk's fsync)."""
    db = Database.connect(url, SECRET, FrozenClock(NOW))
    ids = seed_claims(db, n)
    if not sealed:
        recording.uninstall()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        for claim_id in ids:
            transition(db, "claim", claim_id, "verify", VERIFIER)
        return (time.perf_counter() - start) * 1000 / n, (time.process_time() - cpu) * 1000 / n
    finally:
        if not sealed:
            recording.install()
        db.engine.dispose()


def chain_of(url: str, n: int) -> tuple[float, float, int]:
    """n history rows written in one transaction (sealed at its commit), then verified:
    (seconds to seal, seconds to verify, entries checked)."""
    db = Database.connect(url, SECRET, FrozenClock(NOW))
    ids = seed_claims(db, 1000)
    rows = [
        dict(
            claim_id=ids[i % len(ids)],
            trigger="comment",
            from_state="submitted",
            to_state="submitted",
            actor_id=2,
            actor_name="bench",
            role="village",
            at=NOW,
            comment=f"第{i}条",
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    with db.transaction() as s:
        s.execute(insert(ClaimHistory), rows)
    sealed = time.perf_counter() - start
    start = time.perf_counter()
    report = audit.verify(db)
    checked = time.perf_counter() - start
    assert report.ok and report.entries == n, report.breaks[:3]
    db.engine.dispose()
    return sealed, checked, report.entries


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--chain", type=int, default=100_000)
    p.add_argument("--pg", help="a PostgreSQL URL (database created and emptied)")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = p.parse_args()
    targets: list[tuple[str, Callable[[], str]]] = [] if args.no_sqlite else [("SQLite", fresh_sqlite)]
    if args.pg:
        targets.append(("PostgreSQL", lambda: fresh_pg(args.pg)))
    print(
        "| database | transition, no seal (wall / CPU) | sealed (wall / CPU) | CPU overhead "
        "| seal N rows in one transaction | verify N |"
    )
    print("|---|---|---|---|---|---|")
    for name, fresh in targets:
        bare = step_ms(fresh(), args.n, sealed=False)
        with_seal = step_ms(fresh(), args.n, sealed=True)
        seal_s, verify_s, entries = chain_of(fresh(), args.chain)
        print(
            f"| {name} | {bare[0]:.2f} / {bare[1]:.2f} ms | {with_seal[0]:.2f} / {with_seal[1]:.2f} ms "
            f"| {with_seal[1] - bare[1]:+.2f} ms | {seal_s:.1f} s | {verify_s:.1f} s "
            f"({entries:,} entries and as many rows) |"
        )


if __name__ == "__main__":
    main()
