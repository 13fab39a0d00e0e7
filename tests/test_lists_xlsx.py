"""Uploaded .xlsx lists as python-calamine reads them: numbers typed as numbers (an ID or bank
number refused by its column, never rounded; wages, phones and counts read as the number the
cell shows), the sheet's own row numbers under empty rows and columns, and files calamine must
not or cannot read."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from store.claims.lists import upload_list
from store.models import Person
from store.people.persons import create_organisation
from workflow.errors import ValidationFailed
from workflow.lists.parse import read_list
from workflow.roles import Actor, Role

from .builders import county, id_number
from .test_lists import LES, STARTUP_HEADER, VILLAGE, startup_rows

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

HEADER = ["姓名", "身份证号", "行政村代码", "帮扶对象类别", "补贴类型", "务工地点", "就业开始日期"]
PERSON = ["联系电话", "银行账号", "户编号"]


def workbook(rows: list[list[object]], at: str = "A1") -> bytes:
    """Real .xlsx bytes (openpyxl writes a number as a number cell), the first row at ``at``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报清单"
    first = ws[at]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.cell(first.row + r, first.column + c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def business_agent(db, clock):
    """The agent of a first business (an enterprise), on 28 November 2026."""
    clock.current = datetime(2026, 11, 28, 10)
    county(db)
    with db.transaction() as s:
        org = create_organisation(s, db, name="梅里创业合作社", kind="enterprise", first_business=True)
    return Actor(user_id=999, roles=frozenset({Role.AGENT}), org_id=org.id, name="创业者")


def row(number: object, *person: object) -> list[object]:
    return ["扎西", number, VILLAGE, "脱贫人口", LES, "省外", "2026-03-01", *person]


def test_id_and_bank_numbers_typed_as_numbers_are_refused_by_their_column(db):
    c = county(db)
    good = [id_number() for _ in range(3)]
    digits_only = next(n for n in iter(id_number, None) if n.isdigit())  # no X check digit
    rows = [
        HEADER + PERSON,
        row(int(digits_only)),  # 2: an 18-digit number: Excel kept 15 digits
        row(good[0], None, 6217000000000000123),  # 3: a 19-digit card number
        row(good[1], None, None, 5334221010010001234),  # 4: a long 户编号
        row(good[2], 13988887777, 621700001234, 12345),  # 5: short numbers are exact
    ]
    report = upload_list(db, c.agent, "数字.xlsx", workbook(rows))
    by_row = {r.row: r for r in report.rows}
    assert [(e.column, e.code) for e in by_row[2].errors] == [("身份证号", "validation.id_number")]
    assert "文本" in by_row[2].errors[0].message
    assert [(e.column, e.code) for e in by_row[3].errors] == [("银行账号", "validation.bank_account")]
    assert "文本" in by_row[3].errors[0].message
    assert [(e.column, e.code) for e in by_row[4].errors] == [("户编号", "validation.digits_lost")]
    assert "文本" in by_row[4].errors[0].message
    assert by_row[5].status == "accepted", by_row[5]
    with db.sessions() as s:
        person = s.scalar(select(Person).where(Person.id_number_hash == db.vault.digest(good[2])))
        assert (person.phone, person.household_no) == ("13988887777", "12345")
        assert db.vault.decrypt(person.bank_account_enc) == "621700001234"


def test_wages_typed_as_numbers_read_as_the_number_shown(db, business_agent):
    agent = business_agent
    rows = startup_rows(5)
    for r, wage in zip(rows, (6000, 6000.0, 6000.5, 6000, 6000.0), strict=True):
        r[6] = wage
    report = upload_list(db, agent, "工资.xlsx", workbook([STARTUP_HEADER, *rows]))
    assert report.rows_accepted == 5, report.rows
    assert [r.amount for r in report.rows] == [Decimal("900.00"), Decimal("900.00"), Decimal("900.08")] + [
        Decimal("900.00")
    ] * 2


def test_row_numbers_are_the_sheets_under_empty_rows_and_columns():
    rows = [["德钦县申报清单"], [], HEADER, row(id_number()), [], row(id_number())]
    raw = read_list("x.xlsx", workbook(rows, at="C3"))
    assert [number for number, _ in raw.rows] == [6, 8]  # title at 3, header at 5
    assert raw.headers[:3] == ("", "", "姓名")
    assert raw.rows[0][1][2:4] == ("扎西", rows[3][1])


def test_a_formatted_empty_cell_far_away_is_ignored_a_value_there_refused_before_parsing():
    """calamine would hold a sheet as one block up to its farthest value: a value past the
    limits is refused (413) before any parser runs; formatting alone far away changes nothing."""
    rows = [HEADER, row(id_number()), row(id_number())]
    plain = workbook(rows)
    wb = openpyxl.load_workbook(io.BytesIO(plain))
    wb.active["XFD1048576"].number_format = "0.00"  # a style, no value: an empty <c s="1"/>
    out = io.BytesIO()
    wb.save(out)
    near = read_list("x.xlsx", plain)
    far = read_list("far.xlsx", out.getvalue())
    assert (far.headers, far.rows) == (near.headers, near.rows)
    wb.active["XFD1048576"] = "备注"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationFailed) as err:
        read_list("far.xlsx", out.getvalue())
    assert (err.value.code, err.value.status) == ("validation.list_too_many_rows", 413)
    assert "1048576" in err.value.message


def broken_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook([HEADER, row(id_number())])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            data = source.read(info)
            broken = b"<worksheet><sheetData><row r="
            z.writestr(info, broken if "worksheets/sheet" in info.filename else data)
    return out.getvalue()


def a_zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize("content", [broken_sheet(), a_zip_of_text(), b"PK\x03\x04\x14\x00 truncated"])
def test_a_corrupt_workbook_is_a_format_error(content):
    with pytest.raises(ValidationFailed) as err:
        read_list("坏.xlsx", content)
    assert (err.value.code, err.value.details["field"]) == ("validation.list_format", "file")
