"""Proof (issue 14, "a scan of the database file, the logs and every PDF and export"): after a
realistic run (persons with ID and bank numbers registered through the agent API, a bulk list
and the admin's import; claims verified, approved, one refused; a contract; a payout batch with
its roster, paid; every document, export and result file downloaded; every log record the app
wrote captured), no valid 18-digit resident ID number (python-stdnum ``cn.ric``) and no full
bank number is in plaintext anywhere but in the bank file finance sends to the bank. A second
test looks for masked numbers that can be completed from what is shown beside them."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from stdnum.cn import ric

from store.imports import upload_import
from store.models import Claim, Person
from store.transitions import transition
from workflow.identity import mask
from workflow.lists.template import EXAMPLE_ID

from .api_support import api_client
from .builders import add_admin, id_number
from .builders_imports import PERSON_HEADER, distinct_ids
from .builders_payouts import give_broker_an_account
from .builders_posts import active_contract
from .page_support import sign_in
from .test_document_pages import pdf_text
from .test_payout_pages import new_batch

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

ID_RUN = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


@dataclass
class Run:
    """What the run left behind: each artefact's text by name, and the numbers it registered."""

    ids: set[str] = field(default_factory=set)
    banks: set[str] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)
    bank_file: dict[str, str] = field(default_factory=dict)  # allowed to carry full numbers
    db_bytes: str = ""
    log: list[str] = field(default_factory=list)

    def pdf(self, name: str, response) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code == 200 and response.headers["content-type"] == "application/pdf", name
        self.texts[name] = pdf_text(response.content)

    def xlsx(self, name: str, response) -> None:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, (name, response.text[:200])
        self.texts[name] = xlsx_text(response.content)


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def bank_number(i: int) -> str:
    return f"62170{i:014d}"


def valid_ids_in(text: str) -> set[str]:
    return {m for m in ID_RUN.findall(text) if ric.is_valid(m.upper())} - {EXAMPLE_ID}


@pytest.fixture
def logged(monkeypatch):  # type: ignore[no-untyped-def]
    """Every log record any logger of the app handles, at every level, as written."""
    records: list[str] = []
    real = logging.Logger.handle

    def handle(self, record):  # type: ignore[no-untyped-def]
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        records.append(text)
        return real(self, record)

    monkeypatch.setattr(logging.Logger, "handle", handle)
    # The app's own loggers at every level; the libraries' at the levels the app runs them.
    monkeypatch.setattr(logging.getLogger("fuzhi"), "level", logging.DEBUG)
    return records


def build(db, files: Path, logged: list[str]) -> Run:  # type: ignore[no-untyped-def]
    """The run, its artefacts read back; ``files`` and the data folder beside it are the app's."""
    run = Run()
    with api_client(db, files) as api:
        c = give_broker_an_account(db, api.county)
        run.banks.add("6222020200112233445")  # the broker's (tests.builders_payouts.ORG_ACCOUNT)
        # Persons through the agent API, each with a transport claim.
        claims = []
        for i in range(6):
            number, bank = id_number(birth=f"19{80 + i}0{i + 1}1{i}"), bank_number(i)
            run.ids.add(number)
            run.banks.add(bank)
            body = {
                "name": f"卓玛{i}",
                "id_number": number,
                "village_code": "533422101001",
                "target_groups": ["poverty_alleviated"],
                "bank_account": bank,
                "phone": f"1398888{i:04d}",
            }
            r = api.post("/api/v1/persons", json=body)
            assert r.status_code == 201, r.text
            found = api.post("/api/v1/persons/lookup", json={"id_number": number})
            run.texts[f"api lookup {i}"] = found.text
            facts = {"destination": "out_of_province", "employment_start": "2026-03-01", "fare": "860"}
            r = api.post(
                "/api/v1/claims",
                json={"subsidy_type": "transport_subsidy", "id_number": number, "facts": facts},
            )
            assert r.status_code == 201, r.text
            claims.append(r.json()["id"])
            run.texts[f"api claim {i}"] = r.text

        # A bulk list of new persons (one refused row: a bad check digit).
        out = io.StringIO(newline="")
        w = csv.writer(out)
        w.writerow(
            [
                "姓名",
                "身份证号",
                "行政村代码",
                "帮扶对象类别",
                "补贴类型",
                "务工地点",
                "就业开始日期",
                "银行账号",
            ]
        )
        listed = []
        for i in range(4):
            number, bank = id_number(birth=f"1975{i + 1:02d}15"), bank_number(100 + i)
            run.ids.add(number)
            run.banks.add(bank)
            listed.append(number)
            w.writerow(
                [
                    f"扎西{i}",
                    number,
                    "533422101001",
                    "脱贫人口",
                    "有组织劳务输出就业创业服务补助",
                    "省外",
                    "2026-03-01",
                    bank,
                ]
            )
        bad = listed[0][:-1] + ("0" if listed[0][-1] != "0" else "1")
        w.writerow(
            [
                "次仁",
                bad,
                "533422101001",
                "脱贫人口",
                "有组织劳务输出就业创业服务补助",
                "省外",
                "2026-03-01",
                bank_number(199),
            ]
        )
        run.banks.add(bank_number(199))
        r = api.post("/api/v1/lists", files={"file": ("清单.csv", out.getvalue().encode(), "text/csv")})
        assert r.status_code == 201, r.text
        run.texts["api list report"] = r.text
        report = r.json()
        run.xlsx("list result", api.get(report["result_url"]))
        list_claims = [row["claim_id"] for row in report["rows"] if row.get("claim_id")]
        run.texts["api claims"] = api.get("/api/v1/claims").text
        for cid in claims[:2]:
            run.texts[f"api claim page {cid}"] = api.get(f"/api/v1/claims/{cid}").text

        # The admin's import of persons (a dry run, then loaded).
        admin = add_admin(db)
        imported = distinct_ids(3, date(1982, 5, 1))
        run.ids.update(imported)
        rows = [
            [f"央金{i}", n, "533422101001", "脱贫人口", "全劳力", "13900000000", bank_number(200 + i)]
            for i, n in enumerate(imported)
        ]
        run.banks.update(bank_number(200 + i) for i in range(3))
        people = io.StringIO(newline="")
        csv.writer(people).writerows([PERSON_HEADER, *rows])
        dry = upload_import(db, admin, "persons", "人员.csv", people.getvalue().encode(), dry_run=True)
        admin_page = sign_in(db, "admin1")
        run.xlsx("import result", admin_page.get(f"/imports/{dry.run_id}/result.xlsx"))

        # Walked on: verified, approved; one refused; a contract for a listed person.
        for cid in claims + list_claims:
            transition(db, "claim", cid, "verify", c.verifier)
        refused = claims.pop()
        transition(db, "claim", refused, "reject", c.hr, comment="不符合条件")
        for cid in claims + list_claims:
            transition(db, "claim", cid, "approve", c.hr)
        with db.sessions() as s:
            holder = s.get_one(Claim, list_claims[0]).person_id
        contract = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), person_id=holder)

        # Documents, for staff and the agent.
        hr, village = sign_in(db, "hr1"), sign_in(db, "village1")
        for cid in claims[:2] + list_claims[:1]:
            run.pdf(f"approval form {cid} (hr)", hr.get(f"/claims/{cid}/documents/approval_form"))
            run.pdf(f"approval form {cid} (agent)", api.get(f"/api/v1/claims/{cid}/documents/approval_form"))
        run.pdf("rejection notice", api.get(f"/api/v1/claims/{refused}/documents/rejection_notice"))
        for kind in ("contract", "renewal_notice"):
            run.pdf(kind, hr.get(f"/contracts/{contract.id}/documents/{kind}"))

        # A payout batch: bank files, the roster, paid.
        finance = sign_in(db, "finance1")
        batch = new_batch(finance, claims + list_claims)
        for fmt in ("csv", "xlsx"):
            r = finance.get(f"/payouts/{batch}/bank-file/{fmt}")
            assert r.status_code == 200
            run.bank_file[fmt] = r.content.decode("utf-8-sig") if fmt == "csv" else xlsx_text(r.content)
        r = finance.submit(f"/payouts/{batch}", f"/payouts/{batch}/roster", {})
        assert r.status_code == 303
        finance.client.app.state.jobs.wait(60)
        run.pdf("roster", finance.get(f"/payouts/{batch}/roster"))
        r = finance.submit(
            f"/payouts/{batch}",
            f"/payouts/{batch}/confirm",
            {"bank_reference": "YH20261127001", "paid_on": "2026-11-27"},
        )
        assert r.status_code == 200 and "已确认发放" in r.text

        # Every export, as each role that has it.
        for who, browser in (("village", village), ("hr", hr)):
            for path in ("inbox", "contracts", "dashboard"):
                run.xlsx(f"export {path} ({who})", browser.get(f"/exports/{path}"))
        run.xlsx("export organisations", hr.get("/exports/organisations"))
        some = sorted(run.ids)[0]
        # A whole ID number is posted to the search, never put in a URL; its export by person.
        found = hr.submit("/search", "/search", {"q": some})
        assert found.status_code == 303 and some not in found.headers["location"], found.text[:300]
        run.texts["search page by a whole ID"] = hr.get(found.headers["location"]).text
        location = found.headers["location"].replace("/search?", "/exports/search?")
        run.xlsx("export search by a whole ID", hr.get(location))
        run.xlsx("export search by name", hr.get("/exports/search", params={"q": "卓玛"}))
        run.xlsx("export payouts", finance.get("/exports/payouts"))
        run.xlsx("export batch", finance.get(f"/exports/payouts/{batch}"))
        run.xlsx("list template", api.get("/api/v1/lists/template.xlsx"))

    with db.sessions() as s:
        assert s.query(Person).count() >= 10
    path = Path(db.engine.url.database)
    db.engine.dispose()
    run.db_bytes = "".join(
        p.read_bytes().decode("latin-1") for p in sorted(path.parent.glob(path.name + "*"))
    )
    run.log = list(logged)
    for kept in sorted(p for p in files.parent.rglob("*") if p.is_file() and p != path):
        if not kept.name.startswith(path.name):  # the files kept beside the database
            run.texts[f"file {kept.relative_to(files.parent)}"] = kept.read_bytes().decode("latin-1")
    return run


@pytest.fixture
def run(db, tmp_path, logged, monkeypatch) -> Run:  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the scan reads the SQLite database file")
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    return build(db, tmp_path / "files", logged)


def test_no_full_id_or_bank_number_in_plaintext_but_in_the_bank_file(run: Run) -> None:
    places = {**run.texts, "database file": run.db_bytes, "log": "\n".join(run.log)}
    assert len(run.texts) > 30 and len(run.log) > 50  # the run really made and logged them
    leaks = {}
    for name, text in places.items():
        found = valid_ids_in(text) | {b for b in run.banks if b in text}
        if found:
            leaks[name] = sorted(found)
    assert not leaks, (
        leaks,
        [line for line in run.log if any(n in line for found in leaks.values() for n in found)][:3],
    )
    # The registered numbers are real ones (the scan would see them) and the bank file has them.
    assert all(ric.is_valid(n) for n in run.ids)
    assert all(valid_ids_in(f"身份证号{n}。") == {n} for n in run.ids)  # and the scan finds one
    # The batch pays five persons (the sixth was refused) and the broker for the listed claims.
    paid = {bank_number(i) for i in range(5)} | {"6222020200112233445"}
    for fmt, text in run.bank_file.items():
        assert {b for b in run.banks if b in text} == paid, fmt
        assert not valid_ids_in(text), fmt  # a bank file carries accounts, never ID numbers


def test_no_masked_id_can_be_completed_from_what_is_shown_beside_it(run: Run) -> None:
    def birth_forms(number: str) -> list[str]:
        y, m, d = number[6:10], number[10:12], number[12:14]
        return [
            f"{y}{m}{d}",
            f"{y}-{m}-{d}",
            f"{y}年{int(m)}月{int(d)}日",
            f"{y}/{m}/{d}",
            f"{y}年{m}月{d}日",
        ]

    completable = {}
    for name, text in run.texts.items():
        flat = re.sub(r"\s+", "", text)
        for number in run.ids:
            tail_shown = mask(number) in flat or ("*" + number[-4:]) in flat
            if tail_shown and any(form in flat for form in birth_forms(number)):
                completable.setdefault(name, []).append(mask(number))
    # The database alone: a row's last four digits and birth date, in plaintext. The tail as a
    # value of its own (not inside a longer run of letters and digits: four digits turn up by
    # chance in the hex of hashes and ciphertexts, which say nothing).
    flat_db = run.db_bytes.replace("-", "")

    def tail_stored(n: str) -> bool:
        return re.search(rf"(?<![0-9A-Za-z]){n[-4:]}(?![0-9A-Za-z])", run.db_bytes) is not None

    in_database = [mask(n) for n in sorted(run.ids) if tail_stored(n) and n[6:14] in flat_db]
    assert not completable and not in_database, (
        f"shown beside a birth date in: {'; '.join(sorted(completable))}; "
        f"completable from the database file: {len(in_database)} of {len(run.ids)}"
    )
