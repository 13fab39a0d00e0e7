"""Fault runs (issue 14, "Proof: faults"): a real server SIGKILLed at random moments of bulk list
uploads and of payout confirmations, 50 times each; after each kill the server is served again on
the same database (its clock past the idempotency lease) and the action repeated until answered.
Prints, per scenario, where the kills landed, how many requests the retry took and the violations
found (none expected). The checks are those of tests/test_fault_kills.py (tests/fault_*.py).

    .venv/bin/python bench/fault_kills.py [--kills 50] [--rows 500] [--lines 200] [--seed 14]
        [--scenario upload confirm return]

``return``: the batch paid by importing the bank's return file (/payouts/{id}/reconcile) instead of
the confirm form; not in the default run.

SQLite only (each kill is a real uvicorn process on a file; a server start is most of the time:
5 to 25 s a kill on the shared 2-core VM). docs/benchmarks.md ("Fault runs") records the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")  # no argon2 in the set-up
os.environ.setdefault("FUZHI_SWEEP_MINUTES", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import fault_lists, fault_payouts
from tests.fault_support import Kill, run_kills, summary


def upload(args: argparse.Namespace) -> tuple[float, list[Kill]]:
    template = fault_lists.template()
    scenario = fault_lists.Upload(args.rows, token=template.facts["token"])
    print(f"upload: lists of {args.rows} rows (JSON and .xlsx in turn), one key each", flush=True)
    return run_kills(scenario, template, args.kills, args.seed, log)


def confirm(args: argparse.Namespace, by_return_file: bool = False) -> tuple[float, list[Kill]]:
    started = time.monotonic()
    if args.template:  # the batches an earlier run prepared (confirm only: no return files kept)
        template = fault_payouts.prepared(args.template)
    else:
        template = fault_payouts.template(args.lines, args.kills + 1)
    returns = template.facts["returns"] if by_return_file else None
    scenario = fault_payouts.Confirm(template.facts["batches"], returns=returns)
    made = (
        f"taken from {args.template}" if args.template else f"prepared in {time.monotonic() - started:.0f}s"
    )
    print(f"{scenario.name}: {len(template.facts['batches'])} exported batches {made}", flush=True)
    return run_kills(scenario, template, args.kills, args.seed, log)


def log(line: str) -> None:
    print(f"  {datetime.now():%H:%M:%S} {line}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--template", type=Path, help="confirm: the database an earlier run prepared")
    parser.add_argument(
        "--scenario", nargs="+", choices=["upload", "confirm", "return"], default=["upload", "confirm"]
    )
    args = parser.parse_args()
    print(
        f"{datetime.now():%Y-%m-%d %H:%M} {platform.node()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, seed {args.seed}",
        flush=True,
    )
    results = []
    for name in args.scenario:
        started = time.monotonic()
        span, kills = upload(args) if name == "upload" else confirm(args, by_return_file=name == "return")
        results.append((name, span, kills, time.monotonic() - started))
    failed = False
    for name, span, kills, took in results:
        print(summary(name, span, kills))
        print(f"  wall time {took / 60:.1f} min")
        failed |= any(k.violations for k in kills)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
