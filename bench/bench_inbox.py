"""The inbox at a million claims: p50/p95 server time (Server-Timing) of the page, 50 rows with
counts and rendering, and of searches by name and by ID suffix, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_inbox.py [--claims 1000000] [--requests 200] [--db sqlite|pg|both]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("FUZHI_TEST_WEAK_PASSWORD_HASHES", "1")  # set-up, not what is measured
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import insert, text

from bench.databases import fresh_pg
from cli import upgrade
from store.access.users import create_user
from store.db import Database
from store.models import Claim, Organisation, Person, Township, Village
from tests.live_server import SECRET, free_port

NOW = datetime.now().replace(microsecond=0)
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
    for start in range(1, persons + 1, chunk):
        with db.transaction() as s:
            s.execute(
                insert(Person),
                [
                    dict(
                        id=i,
                        name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                        id_number_enc="x",
                        id_number_hash=f"h{i}",
                        id_last4=f"{rng.randrange(10000):04d}",
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
        create_user(
            s, db, username="village_bench", password="bench-pass-1", roles=["village"], village_ids=[1, 2, 3]
        )
    if db.dialect == "postgresql":
        # What autovacuum does after a bulk load: statistics, and the visibility map that lets
        # counts use index-only scans (without it the first page takes 30 ms, not 2).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    with db.sessions() as s:
        name = s.execute(text("SELECT name FROM person WHERE id = 17")).scalar()
        last4 = s.execute(text("SELECT id_last4 FROM person WHERE id = 17")).scalar()
    return {"name": name, "last4": last4}


def sign_in(client: httpx.Client, username: str) -> None:
    page = client.get("/login").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": "bench-pass-1", "_csrf_token": token})
    assert r.status_code in (200, 303), r.text


def timings(client: httpx.Client, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        out.append(float(r.headers["server-timing"].split("dur=")[1]))
    return out


def measure(url: str, claims: int, n: int) -> list[tuple[str, float, float]]:
    import subprocess

    db = Database.connect(url, SECRET.encode())
    started = time.perf_counter()
    probe = populate(db, claims, random.Random(533422))
    print(f"  populated {claims:,} claims in {time.perf_counter() - started:.0f} s", flush=True)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "FUZHI_SECRET_KEY": SECRET, "FUZHI_INSECURE_COOKIES": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "web.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
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
        results = []
        for user in ("hr_bench", "village_bench"):
            with httpx.Client(base_url=base, follow_redirects=True) as client:
                sign_in(client, user)
                first = client.get("/inbox").text
                cursor = re.search(r'href="\?cursor=([^"&]+)', first)
                cases = {
                    "inbox, first page": "/inbox",
                    "inbox, overdue only": "/inbox?overdue=true",
                    "inbox, one subsidy type": "/inbox?subsidy_type=transport_subsidy",
                    "inbox, next page (keyset)": f"/inbox?cursor={cursor.group(1)}" if cursor else "/inbox",
                    "search, full name": f"/inbox?q={probe['name']}",
                    "search, first two characters": f"/inbox?q={probe['name'][:2]}",
                    "search, ID last 4": f"/inbox?q={probe['last4']}",
                }
                for label, path in cases.items():
                    timings(client, path, 5)  # warm-up
                    t = timings(client, path, n)
                    results.append(
                        (
                            f"{user.split('_')[0]}: {label}",
                            statistics.median(t),
                            statistics.quantiles(t, n=20)[18],
                        )
                    )
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        db.engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--db", default="both", choices=["sqlite", "pg", "both"])
    # A database of its own: the other benchmarks drop and recreate fuzhi_bench.
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/fuzhi_bench_inbox")
    args = ap.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.claims:,} claims, {args.requests} requests "
        "per case (after 5 warm-up), server time from the Server-Timing header\n",
        flush=True,
    )
    targets = []
    if args.db in ("sqlite", "both"):
        import tempfile

        targets.append(("SQLite", f"sqlite:///{Path(tempfile.mkdtemp()) / 'inbox.db'}"))
    if args.db in ("pg", "both"):
        targets.append(("PostgreSQL", args.pg))
    for name, url in targets:
        print(f"{name}:", flush=True)
        fresh_pg(url) if url.startswith("postgresql") else upgrade(url)
        rows = measure(url, args.claims, args.requests)
        print("\n| database | user: case | p50 ms | p95 ms |\n|---|---|---|---|")
        for label, p50, p95 in rows:
            print(f"| {name} | {label} | {p50:.1f} | {p95:.1f} |", flush=True)


if __name__ == "__main__":
    main()
