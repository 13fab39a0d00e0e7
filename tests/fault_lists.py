"""Fault run A: an agent's bulk list (JSON rows, or the same rows as an .xlsx) sent with an
Idempotency-Key; the server SIGKILLed at a random moment; served again past the key's lease; the
agent retries with the same key until answered. Then: no half-made list (all its rows filed or
none), each row filed once, the key completed and a further retry replaying the same answer."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select
from stdnum.cn import ric

from store.access.users import create_token
from store.db import Database
from store.idempotency import keys
from store.models import Claim, ClaimHistory, ClaimList, IdempotencyRecord, Person, User

from .builders import county
from .fault_support import Kill, Template, prepare, retry
from .live_server import LiveServer


def id_numbers(first: int, n: int) -> list[str]:
    """The resident ID numbers first .. first + n - 1 (a birth day per 1,000): never the same."""
    out = []
    for i in range(first, first + n):
        body = f"533422{date(1960, 1, 1) + timedelta(days=i // 1000):%Y%m%d}{i % 1000:03d}"
        out.append(body + ric.calc_check_digit(body + "0"))
    return out


def list_rows(n: int, k: int, first: int | None = None) -> list[dict[str, str]]:
    """List k: n valid rows, each a new resident (``first``: the first resident's number)."""
    return [
        {
            "姓名": "尼玛",
            "身份证号": number,
            "行政村代码": "533422101001",
            "帮扶对象类别": "脱贫人口",
            "补贴类型": "有组织劳务输出就业创业服务补助",
            "务工地点": "省外",
            "就业开始日期": "2026-03-01",
            "政策年度": "2026",
        }
        for number in id_numbers(k * n if first is None else first, n)
    ]


def workbook(rows: list[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template() -> Template:
    """A county and the agent's API token."""

    def fill(db: Database) -> dict[str, Any]:
        c = county(db)
        with db.transaction() as s:
            return {"token": create_token(s, db, s.get(User, c.agent.user_id))}

    return prepare(fill)


def filed(db: Database, key: str) -> dict[str, Any]:
    """What the database holds: lists, claims, persons, history rows, the key."""
    with db.sessions() as s:

        def count(model: Any) -> int:
            return s.scalar(select(func.count()).select_from(model)) or 0

        real = ClaimList.dry_run.is_(False)
        lists = s.execute(
            select(ClaimList.id, ClaimList.rows_accepted).where(real).order_by(ClaimList.id)
        ).all()
        row = s.execute(
            select(IdempotencyRecord.status, IdempotencyRecord.content_type, IdempotencyRecord.body).where(
                IdempotencyRecord.key == key
            )
        ).first()
        per_person = Counter(s.execute(select(Claim.person_id, Claim.subsidy_type)).all())
        return {
            "lists": [tuple(r) for r in lists],
            "claims": count(Claim),
            "persons": count(Person),
            "history": count(ClaimHistory),
            "twice": sum(n > 1 for n in per_person.values()),
            "key": tuple(row) if row else None,
        }


def phase_of(seen: dict[str, Any]) -> str:
    key = seen["key"]
    if key is None:
        return "before the key was taken"
    if key[0] == keys.IN_PROGRESS:
        return "list committed, not answered" if key[1] == keys.EFFECT else "filing, not committed"
    return "answered"


def whole(seen: dict[str, Any], n: int, k: int, when: str) -> list[str]:
    """Lists 0..k-1 whole, list k whole or absent: never a half-made list, never a row twice."""
    bad = []
    lists = seen["lists"]
    if len(lists) not in (k, k + 1):
        bad.append(f"{when}: {len(lists)} lists filed before list {k} was done")
    if any(accepted != n for _, accepted in lists):
        bad.append(f"{when}: a list with {[a for _, a in lists]} rows accepted of {n}")
    if not (seen["claims"] == seen["persons"] == seen["history"] == n * len(lists)):
        bad.append(
            f"{when}: half-made list: {len(lists)} lists, {seen['claims']} claims, "
            f"{seen['persons']} persons, {seen['history']} history rows"
        )
    if seen["twice"]:
        bad.append(f"{when}: {seen['twice']} persons with the same claim twice")
    key = seen["key"]
    noted = key is not None and (key[1] == keys.EFFECT or key[0] == 201)
    if noted != (len(lists) == k + 1):
        bad.append(f"{when}: key {key and key[:2]} but list {k} {'filed' if len(lists) > k else 'not filed'}")
    return bad


@dataclass
class Upload:
    """Scenario A: list k of ``n`` rows, as JSON (k even) or as an .xlsx (k odd), key fault-upload-k."""

    n: int
    name: str = "upload"
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    token: str = ""
    files: dict[int, bytes] = field(default_factory=dict)

    def send(self, server: LiveServer, k: int) -> Callable[[], httpx.Response]:
        rows = list_rows(self.n, k)
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": f"fault-upload-{k}"}
        if k % 2:  # the same file each time (openpyxl stamps the time it saves a workbook)
            content = self.files.setdefault(k, workbook(rows))
            files = {"file": ("清单.xlsx", content, "application/octet-stream")}
            return lambda: httpx.post(f"{server.url}/api/v1/lists", files=files, headers=headers, timeout=300)
        body = {"rows": rows}
        return lambda: httpx.post(f"{server.url}/api/v1/lists/json", json=body, headers=headers, timeout=300)

    def killed(self, server: LiveServer, k: int, kill: Kill) -> None:
        seen = self.seen[k] = filed(server.db, f"fault-upload-{k}")
        kill.phase = phase_of(seen)
        kill.violations += whole(seen, self.n, k, "after the kill")

    def repeat(self, server: LiveServer, k: int, kill: Kill) -> None:
        send = self.send(server, k)
        r = retry(send, kill, lambda r: 200 <= r.status_code < 300)
        if r.status_code != 201:
            return
        body = r.json()
        after = filed(server.db, f"fault-upload-{k}")
        kill.violations += whole(after, self.n, k, "after the retry")
        last = after["lists"][-1][0] if after["lists"] else None
        if len(after["lists"]) != k + 1 or body["rows_accepted"] != self.n or body["id"] != last:
            kill.violations.append(f"retry answered {body['rows_accepted']} rows, list {body['id']}")
        before = self.seen[k]["lists"]
        if len(before) == k + 1 and before[-1][0] != body["id"]:
            kill.violations.append("the retry answered another list than the one committed")
        key = after["key"]
        if key is None or key[0] != 201 or json.loads(key[2]) != body:
            kill.violations.append(f"key not completed with the answer: {key and key[:2]}")
        again = send()
        if again.json() != body or again.headers.get("idempotent-replayed") != "true":
            kill.violations.append(f"a further retry answered {again.status_code} differently")
        if filed(server.db, f"fault-upload-{k}") != after:
            kill.violations.append("a further retry changed what is filed")
