"""Fault run B: finance confirms payout batch k (its lines all paid, one form on /payouts/{id});
the server SIGKILLed at a random moment; served again past the form token's lease; finance
repeats the action: the same form sent again (k odd, as a browser resends it) or the page opened
anew and confirmed again (k even). Then: every line paid once (one 'pay' history row per paid
line's claim, none for a pending one), claim states as their lines, the batch's totals the sum of
its lines, nothing lost, and the batch confirmed after the retry."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import func, select, update

from store.claims import bulk_claim_step, upload_list
from store.db import Database
from store.idempotency.models import FormToken
from store.models import Claim, ClaimHistory, Person
from store.payouts import batch_pool
from store.payouts import batches as payouts
from store.payouts.models import PayoutBatch, PayoutLine

from .builders import county
from .builders_payouts import give_broker_an_account
from .fault_lists import list_rows
from .fault_support import Kill, Template, form_fields, prepare, retry, signed_in
from .live_server import LiveServer

FINANCE = "finance1"
PAID_ON = "2026-11-27"
CHUNK = 200  # the bulk steps' limit


def template(lines: int, batches: int) -> Template:
    """``batches`` exported payout batches of ``lines`` approved claims each, filed by list."""

    def fill(db: Database) -> dict[str, Any]:
        c = give_broker_an_account(db, county(db))
        ids: list[int] = []
        for k in range(0, lines * batches, 1000):
            rows = list_rows(min(1000, lines * batches - k), 0, first=k)
            report = upload_list(db, c.agent, "list.json", msgspec.json.encode({"rows": rows}))
            assert report.rows_accepted == len(rows), report.rows[:3]
            ids += [r.claim_id for r in report.rows if r.claim_id]
        for step, actor in (("verify", c.verifier), ("approve", c.hr)):
            for i in range(0, len(ids), CHUNK):
                done = bulk_claim_step(db, actor, ids[i : i + CHUNK], step)
                assert all(o.ok for o in done), [o for o in done if not o.ok][:3]
        with db.transaction() as s:
            s.execute(
                update(Person).values(
                    bank_account_enc=db.vault.encrypt("6217000000000000123"), bank_last4="0123"
                )
            )
        made, returns = [], []
        for k in range(batches):
            batch = batch_pool.create_batch(db, c.finance, ids[k * lines : (k + 1) * lines])
            sent = payouts.bank_file(db, c.finance, batch.id, "csv")  # finance sends it, then confirms
            made.append(batch.id)
            returns.append(return_file(sent))
        return {"batches": made, "returns": returns}

    return prepare(fill)


def prepared(path: Path) -> Template:
    """A template an earlier run left (its database file): its batches, no return files."""
    with sqlite3.connect(path) as conn:
        batches = [row[0] for row in conn.execute("SELECT id FROM payout_batch ORDER BY id")]
    return Template(path, {"batches": batches})


def return_file(sent: bytes) -> bytes:
    """The bank's answer to a bank file: every row paid (成功), its serial YH and the claim number."""
    head, *rows = list(csv.reader(io.StringIO(sent.decode("utf-8-sig"))))
    out = io.StringIO()
    csv.writer(out).writerows([[*head, "状态", "银行流水号"], *([*r, "成功", f"YH{r[4]}"] for r in rows)])
    return out.getvalue().encode("gb18030")


def seen(db: Database, batch_id: int, once: str) -> dict[str, Any]:
    """The batch's lines, their claims' states and 'pay' rows, the form's token; the whole
    database's paid lines and 'pay' rows."""
    with db.sessions() as s:
        lines = s.execute(
            select(
                PayoutLine.claim_id,
                PayoutLine.status,
                PayoutLine.amount,
                PayoutLine.paid_amount,
                PayoutLine.paid_claim_id,
                PayoutLine.bank_reference,
            ).where(PayoutLine.batch_id == batch_id)
        ).all()
        claims = [li.claim_id for li in lines]
        pays = Counter(
            s.scalars(
                select(ClaimHistory.claim_id).where(
                    ClaimHistory.trigger == "pay", ClaimHistory.claim_id.in_(claims)
                )
            )
        )
        states = dict(s.execute(select(Claim.id, Claim.state).where(Claim.id.in_(claims))).all())
        batch = s.execute(
            select(PayoutBatch.state, PayoutBatch.line_count, PayoutBatch.total_amount).where(
                PayoutBatch.id == batch_id
            )
        ).one()
        return {
            "lines": lines,
            "pays": pays,
            "states": states,
            "batch": tuple(batch),
            "token": s.scalar(select(FormToken.status).where(FormToken.token == once)),
            "all_pays": s.scalar(
                select(func.count()).select_from(ClaimHistory).where(ClaimHistory.trigger == "pay")
            ),
            "all_paid": s.scalar(
                select(func.count()).select_from(PayoutLine).where(PayoutLine.status == "paid")
            ),
        }


def phase_of(now: dict[str, Any]) -> str:
    paid = sum(li.status == "paid" for li in now["lines"])
    if now["token"] not in (None, 0):
        return "answered"
    if paid == 0:
        return "before the form was taken" if now["token"] is None else "form taken, no line paid"
    if paid < len(now["lines"]):
        return "lines being confirmed"
    return (
        "batch confirmed, not answered"
        if now["batch"][0] == "confirmed"
        else "all lines paid, batch not settled"
    )


def paid_once(now: dict[str, Any], when: str) -> list[str]:
    """Every line paid at most once, its claim as its line, the totals the sum of the lines."""
    bad = []
    for li in now["lines"]:
        paid = li.status == "paid"
        if now["pays"][li.claim_id] != int(paid):
            bad.append(
                f"{when}: claim {li.claim_id} has {now['pays'][li.claim_id]} pay rows, line {li.status}"
            )
        if now["states"][li.claim_id] != ("finance_paid" if paid else "hr_reviewed"):
            bad.append(f"{when}: claim {li.claim_id} {now['states'][li.claim_id]}, its line {li.status}")
        if paid and (li.paid_claim_id != li.claim_id or li.paid_amount != li.amount):
            bad.append(f"{when}: line of claim {li.claim_id} paid {li.paid_amount} of {li.amount}")
        if li.status not in ("pending", "paid"):
            bad.append(f"{when}: line of claim {li.claim_id} {li.status}")
    state, count, total = now["batch"]
    if count != len(now["lines"]) or total != sum((li.amount for li in now["lines"]), Decimal("0")):
        bad.append(f"{when}: batch totals {count} lines {total} do not match its lines")
    if now["all_pays"] != now["all_paid"]:
        bad.append(f"{when}: {now['all_pays']} pay rows for {now['all_paid']} paid lines")
    all_paid = all(li.status == "paid" for li in now["lines"])
    if state == "confirmed" and not all_paid:
        bad.append(f"{when}: batch confirmed with lines unpaid")
    return bad


@dataclass
class Confirm:
    """Scenario B: batch k confirmed by finance's form, bank reference YH-FAULT-k; or, with
    ``returns``, by importing the bank's return file (each line its own serial, YH + claim)."""

    batches: list[int]
    returns: list[bytes] | None = None
    name: str = "confirm"
    forms: dict[int, tuple[httpx.Client, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.returns is not None:
            self.name = "return file"

    def filled(self, page: str, k: int) -> dict[str, str]:
        """The form on the batch's page, filled in."""
        if self.returns is None:
            form = form_fields(page, "confirm")
            return {**form, "bank_reference": f"YH-FAULT-{k:04d}", "paid_on": PAID_ON}
        return {**form_fields(page, "import-return"), "paid_on": PAID_ON}

    def post(self, client: httpx.Client, k: int, data: dict[str, str]) -> Callable[[], httpx.Response]:
        batch = self.batches[k]
        if self.returns is None:
            return lambda: client.post(f"/payouts/{batch}/confirm", data=data)
        files = {"file": ("回单.csv", self.returns[k], "text/csv")}
        return lambda: client.post(f"/payouts/{batch}/reconcile", data=data, files=files)

    def send(self, server: LiveServer, k: int) -> Callable[[], httpx.Response]:
        client = signed_in(server.url, FINANCE)
        data = self.filled(client.get(f"/payouts/{self.batches[k]}").text, k)
        self.forms[k] = (client, data)
        return self.post(client, k, data)

    def killed(self, server: LiveServer, k: int, kill: Kill) -> None:
        now = seen(server.db, self.batches[k], self.forms[k][1]["_once"])
        kill.phase = phase_of(now)
        kill.violations += paid_once(now, "after the kill")

    def repeat(self, server: LiveServer, k: int, kill: Kill) -> None:
        client, data = self.forms[k]
        if k % 2:  # the browser sends the same form again
            client.base_url = httpx.URL(server.url)
            post = self.post(client, k, data)
            retry(post, kill, lambda r: r.status_code == 200)
            again = post()
            if again.status_code != 200 or again.headers.get("idempotent-replayed") != "true":
                kill.violations.append(f"the form sent once more answered {again.status_code}, not a replay")
        else:  # finance opens the batch again and does it again
            client = signed_in(server.url, FINANCE)
            data = self.filled(client.get(f"/payouts/{self.batches[k]}").text, k)
            retry(self.post(client, k, data), kill, lambda r: r.status_code == 200)
        now = seen(server.db, self.batches[k], data["_once"])
        kill.violations += paid_once(now, "after the retry")
        if now["batch"][0] != "confirmed":
            kill.violations.append(f"batch {k} {now['batch'][0]} after the retry")
        common = f"YH-FAULT-{k:04d}" if self.returns is None else None
        if any(li.bank_reference != (common or f"YH{li.claim_id}") for li in now["lines"]):
            kill.violations.append("a line paid under another bank reference")
