"""The inbox at a million claims: p50/p95 server time (Server-Timing) of the page, 50 rows with
counts and rendering, for each role with an inbox, each filter and search, on its first page and
on a page in the middle of its list (a keyset cursor), on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_inbox.py [--claims 1000000] [--requests 100] [--rounds 3]
        [--db sqlite|pg|both] [--sqlite PATH] [--reuse]

Both databases are filled first and served side by side; the rounds then alternate between
them, so that the load of the machine falls on both alike. A case's figure is the median over
the rounds of that round's p50 (p95). The server's clock stands at NOW (``FUZHI_CLOCK``): what
is overdue does not depend on the day it is run. ``--reuse`` keeps a database already filled
by an earlier run (the migrations are applied again, so a new index is there).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")  # set-up, not what is measured
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import insert, select, text

from bench.databases import fresh_pg
from cli import upgrade
from store.access.users import create_user
from store.claims.worklist import PAGE, encode_cursor
from store.db import Database
from store.models import Claim, Organisation, Person, Township, Village
from tests.live_server import SECRET, free_port
from workflow.clock import CLOCK_ENV

NOW = datetime(2026, 11, 30, 10, 0)  # where the server's clock stands (FUZHI_CLOCK)
SURNAMES = "扎西卓玛格桑次仁拉姆央金达瓦白玛洛桑平措" + "李王张刘陈杨赵黄周吴和木"
GIVEN = "珍梅华英兰秀玉芳明国强军平文杰建伟吉宗措姆巴登"
# A county's claims over the years: most are closed; a few per cent wait at each step.
STATES = [
    ("finance_paid", 70),
    ("rejected", 5),
    ("withdrawn", 3),
    ("expired", 2),
    ("submitted", 6),
    ("village_verified", 6),
    ("hr_reviewed", 6),
    ("returned", 2),
]
TYPES = [
    "labour_export_service",
    "transport_subsidy",
    "employment_base_reward",
    "work_for_training",
    "public_welfare_post",
    "training_allowance",
]


def populate(db: Database, claims: int, rng: random.Random) -> dict[str, str]:
    villages, persons = 120, max(1000, claims // 5)
    with db.transaction() as s:
        for t in range(1, 11):
            s.add(Township(id=t, code=f"533422{100 + t}", name=f"乡镇{t}"))
        s.flush()
        s.execute(
            insert(Village),
            [
                dict(
                    id=v,
                    township_id=(v - 1) // 12 + 1,
                    code=f"533422{100 + (v - 1) // 12 + 1}{v:03d}",
                    name=f"村{v}",
                )
                for v in range(1, villages + 1)
            ],
        )
        s.add(Organisation(id=1, name="劳务经纪人", kind="labour_broker"))
    chunk = 20_000
    # The inbox shows each ID number's last four by decrypting it: one token per tail will do.
    tokens = {f"{t:04d}": db.vault.encrypt(f"53342519900101{t:04d}") for t in range(10000)}
    tails = {t: db.vault.tail_digest(t) for t in tokens}
    for start in range(1, persons + 1, chunk):
        with db.transaction() as s:
            s.execute(
                insert(Person),
                [
                    dict(
                        id=i,
                        name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                        id_number_enc=tokens[tail := f"{rng.randrange(10000):04d}"],
                        id_number_hash=f"h{i}",
                        id_tail_hash=tails[tail],
                        birth_date=datetime(1990, 1, 1).date(),
                        sex="女",
                        village_id=rng.randint(1, villages),
                        target_groups="relocated",
                        labour_capacity="full",
                        created_at=NOW,
                    )
                    for i in range(start, min(start + chunk, persons + 1))
                ],
            )
    weights = [w for _, w in STATES]
    names = [s for s, _ in STATES]
    for start in range(1, claims + 1, chunk):
        rows = []
        for i in range(start, min(start + chunk, claims + 1)):
            state = rng.choices(names, weights)[0]
            person = rng.randint(1, persons)
            live = state not in ("rejected", "withdrawn", "expired")
            rows.append(
                dict(
                    subsidy_type=rng.choice(TYPES),
                    person_id=person,
                    claimant_org_id=1,
                    village_id=rng.randint(1, villages),
                    payee_kind="person",
                    policy_year=2026,
                    facts={},
                    amount=300,
                    rule="bench",
                    rule_explanation="",
                    state=state,
                    dedupe_key=f"k{i}" if live else None,
                    version=1,
                    submitted_by=1,
                    due_at=NOW + timedelta(days=rng.randint(-20, 20))
                    if live and state != "finance_paid"
                    else None,
                    overdue=False,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        with db.transaction() as s:
            s.execute(insert(Claim), rows)
    with db.transaction() as s:
        create_user(s, db, username="hr_bench", password="bench-pass-1", roles=["hr"])
        create_user(s, db, username="finance_bench", password="bench-pass-1", roles=["finance"])
        create_user(
            s, db, username="village_bench", password="bench-pass-1", roles=["village"], village_ids=[1, 2, 3]
        )
    analyse(db)
    return probe_of(db)


def analyse(db: Database) -> None:
    if db.dialect == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that lets
        # counts use index-only scans (without it the first page takes 30 ms, not 2).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))


def probe_of(db: Database) -> dict[str, str]:
    """The person searched for: a name and the last digits of an ID number."""
    with db.sessions() as s:
        name = s.execute(text("SELECT name FROM person WHERE id = 17")).scalar()
        enc = s.execute(text("SELECT id_number_enc FROM person WHERE id = 17")).scalar()
    last4 = db.vault.tail(enc)
    return {"name": name, "last4": last4, "tail_hash": db.vault.tail_digest(last4)}


WAITING = {  # the states each bench user's inbox holds (CLAIM_WAITING), in SQL of its own
    "hr_bench": "state = 'village_verified'",
    "finance_bench": "state = 'hr_reviewed'",
    "village_bench": "state = 'submitted' AND village_id IN (1, 2, 3)",
}


def sign_in(client: httpx.Client, username: str) -> None:
    page = client.get("/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": "bench-pass-1", "_csrf_token": token})
    assert r.status_code in (200, 303), r.text


def filters(probe: dict[str, str]) -> dict[str, tuple[dict[str, str], str, dict[str, str]]]:
    """Each case: its query string, the same filter in SQL, and that SQL's parameters."""
    name, two = probe["name"], probe["name"][:2]
    by_name = "person_id IN (SELECT id FROM person WHERE name >= :lo AND name < :hi)"
    return {
        "inbox": ({}, "", {}),
        "overdue only": ({"overdue": "true"}, "due_at < :now", {}),
        "one subsidy type": ({"subsidy_type": "transport_subsidy"}, "subsidy_type = 'transport_subsidy'", {}),
        "one village": ({"village": "2"}, "village_id = 2", {}),
        "search, full name": ({"q": name}, by_name, {"lo": name, "hi": name + "\U0010ffff"}),
        "search, first two characters": ({"q": two}, by_name, {"lo": two, "hi": two + "\U0010ffff"}),
        "search, ID last 4": (
            {"q": probe["last4"]},
            "person_id IN (SELECT id FROM person WHERE id_tail_hash = :tail_hash)",
            {"tail_hash": probe["tail_hash"]},
        ),
    }


def cases(db: Database, probe: dict[str, str]) -> list[tuple[str, str, str, int | None]]:
    """(user, label, path, the first claim the page must show): each filter's first page, and
    the page that starts at the middle of its list, whose cursor is computed here in SQL of
    the bench's own (the rows before it in (due_at, id) order are what the app must skip)."""
    out = []
    with db.sessions() as s:
        for user, scope in WAITING.items():
            for label, (params, where, args) in filters(probe).items():
                cond = scope + (f" AND {where}" if where else "")
                args = {**args, "now": NOW}
                ids = s.execute(
                    select(Claim.id, Claim.due_at).where(text(cond)).order_by(Claim.due_at, Claim.id), args
                ).all()
                first = ids[0][0] if ids else None
                out.append((user, f"{label}, first page", "/inbox?" + urlencode(params), first))
                if len(ids) > 2 * PAGE:
                    mid = len(ids) // PAGE // 2 * PAGE  # the first row of the middle page
                    cursor = encode_cursor(ids[mid - 1][1], ids[mid - 1][0])
                    out.append(
                        (
                            user,
                            f"{label}, middle page (page {mid // PAGE + 1} of {-(-len(ids) // PAGE)})",
                            "/inbox?" + urlencode({**params, "cursor": cursor}),
                            ids[mid][0],
                        )
                    )
    return out


def timings(client: httpx.Client, path: str, n: int, first: int | None = None) -> list[float]:
    out = []
    for _ in range(n):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        if first is not None:  # the page shows the rows it should, from the right one
            shown = re.search(r'<a href="/claims/(\d+)">', r.text)
            assert shown and int(shown.group(1)) == first, (path, shown and shown.group(0), first)
        out.append(float(r.headers["server-timing"].split("dur=")[1]))
    return out


def prepare(url: str, claims: int, reuse: bool) -> dict[str, str]:
    """A migrated database holding ``claims`` claims: filled now, or kept from a run before."""
    if url.startswith("postgresql") and not reuse:
        fresh_pg(url)
    else:
        upgrade(url)
    db = Database.connect(url, SECRET.encode())
    try:
        with db.sessions() as s:
            held = s.execute(text("SELECT count(*) FROM claim")).scalar()
        if reuse and held == claims:
            analyse(db)
            return probe_of(db)
        assert held == 0, f"{url} holds {held} claims: use --reuse with the same --claims, or a new one"
        started = time.perf_counter()
        probe = populate(db, claims, random.Random(533422))
        print(f"  populated {claims:,} claims in {time.perf_counter() - started:.0f} s", flush=True)
        return probe
    finally:
        db.engine.dispose()


QUIET = ("--log-level", "warning")


@contextmanager
def server(url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FUZHI_SECRET_KEY": SECRET,
        "FUZHI_INSECURE_COOKIES": "1",
        CLOCK_ENV: NOW.isoformat(),
        "FUZHI_SWEEP_MINUTES": "0",  # the sweep would change the claims (and take the CPU) mid-run
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--port", str(port), *QUIET],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=100, help="per case and round (after 5 warm-up)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--db", default="both", choices=["sqlite", "pg", "both"])
    ap.add_argument("--sqlite", help="the SQLite file (default: a new temporary one)")
    ap.add_argument("--reuse", action="store_true", help="keep databases filled by an earlier run")
    ap.add_argument("--only", help="run only the cases whose label contains this")
    # A database of its own: the other benchmarks drop and recreate fuzhi_bench.
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/fuzhi_bench_inbox")
    args = ap.parse_args()
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = models[0] if models else platform.processor()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}; {args.claims:,} claims, {args.rounds} rounds of "
        f"{args.requests} requests per case (after 5 warm-up), server time from Server-Timing\n",
        flush=True,
    )
    targets = []
    if args.db in ("sqlite", "both"):
        path = args.sqlite or str(Path(tempfile.mkdtemp()) / "inbox.db")
        targets.append(("SQLite", f"sqlite:///{path}"))
    if args.db in ("pg", "both"):
        targets.append(("PostgreSQL", args.pg))
    with ExitStack() as stack:
        runs = []
        for name, url in targets:
            print(f"{name}:", flush=True)
            probe = prepare(url, args.claims, args.reuse)
            db = Database.connect(url, SECRET.encode())
            todo = [c for c in cases(db, probe) if not args.only or args.only in c[1]]
            db.engine.dispose()
            base = stack.enter_context(server(url))
            clients = {}
            for user in WAITING:
                clients[user] = stack.enter_context(httpx.Client(base_url=base, follow_redirects=True))
                sign_in(clients[user], user)
            runs.append((name, clients, todo))
        figures: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        for r in range(args.rounds):
            for name, clients, todo in runs:
                started = time.perf_counter()
                for user, label, path, first in todo:
                    timings(clients[user], path, 5, first)  # warm-up, and the rows are checked
                    t = timings(clients[user], path, args.requests)
                    p95 = statistics.quantiles(t, n=20)[18]
                    figures.setdefault((name, user, label), []).append((statistics.median(t), p95))
                print(f"  round {r + 1}, {name}: {time.perf_counter() - started:.0f} s", flush=True)
    print("\n| database | user: case | p50 ms | p95 ms | ≤ 10 ms |\n|---|---|---|---|---|")
    for (name, user, label), got in figures.items():
        p50 = statistics.median(f[0] for f in got)
        p95 = statistics.median(f[1] for f in got)
        met = "✓" if p95 <= 10 else "✗"
        print(f"| {name} | {user.split('_')[0]}: {label} | {p50:.1f} | {p95:.1f} | {met} |", flush=True)


if __name__ == "__main__":
    main()
