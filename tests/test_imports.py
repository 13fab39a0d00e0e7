"""The admin's imports of places and persons: the claim list's machinery (parse, headers,
cells, rows, template, result) over two more column sets; a dry run stores nothing, every
refusal names its row and column in Chinese, persons already registered are updated in the
cells filled in, a GBK CSV reads as Excel saves it, the result file masks ID and bank numbers,
and importing the same file again changes nothing."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest
from sqlalchemy import event, func, select

from store.imports import import_result, load_import, template_for, upload_import
from store.imports.models import ImportRun
from store.models import Person, Township, Village
from store.people.persons import PersonInput, create_person
from workflow.errors import Conflict, NotFound, TransitionRefused, ValidationFailed
from workflow.identity import mask
from workflow.lists.imports import KINDS
from workflow.lists.parse import read_list

from .builders import add_admin, county
from .builders_imports import (
    BANK,
    PERSON_HEADER,
    PLACE_HEADER,
    PLACES,
    csv_bytes,
    distinct_ids,
    person_rows,
    xlsx,
)
from .page_support import csrf_of, sign_in

CJK = re.compile(r"[\u4e00-\u9fff]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def errors_of(report) -> dict[int, list[tuple[str, str]]]:
    return {r.row: [(e.column, e.code) for e in r.errors] for r in report.rows if r.status == "refused"}


def assert_chinese(report) -> None:
    for r in report.rows:
        for e in r.errors:
            assert CJK.search(e.message) and CJK.search(e.column), e


# ----------------------------------------------------------------------------- templates


@pytest.mark.parametrize("kind", ["places", "persons"])
def test_the_template_round_trips_and_its_example_row_is_never_imported(db, kind):
    admin = add_admin(db)
    if kind == "persons":
        upload_import(db, admin, "places", "places.xlsx", xlsx(PLACE_HEADER, PLACES), dry_run=False)
    filename, content = template_for(admin, kind)
    assert filename.endswith("导入模板.xlsx")
    columns = KINDS[kind].columns
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == [columns.sheet, "填写说明"]
    headers = [cell.value for cell in wb[columns.sheet][1]]
    assert headers == [c.header for c in columns.columns]
    raw = read_list(filename, content, columns)
    assert raw.headers == tuple(headers) and len(raw.rows) == 1
    assert set(raw.columns.index) == {c.field for c in columns.columns}
    report = upload_import(db, admin, kind, filename, content)
    assert [(r.row, r.status) for r in report.rows] == [(2, "refused")]
    assert report.rows[0].errors[0].code == "validation.example_row"
    # the example row made real is a valid row
    ws = wb[columns.sheet]
    if kind == "places":
        ws["A2"], ws["C2"] = "533422103", "533422103001"
    else:
        ws["B2"] = distinct_ids(1)[0]
    out = io.BytesIO()
    wb.save(out)
    report = upload_import(db, admin, kind, filename, out.getvalue())
    assert [(r.row, r.status) for r in report.rows] == [(2, "created")], report.rows


# ----------------------------------------------------------------------------- places


def test_places_dry_run_stores_nothing_then_load_writes_them_once(db):
    admin = add_admin(db)
    content = xlsx(PLACE_HEADER, PLACES)
    checked = upload_import(db, admin, "places", "乡镇和行政村.xlsx", content)
    assert checked.dry_run and checked.loadable
    assert dict(checked.counts) == {"created": 3, "updated": 0, "unchanged": 0, "refused": 0}
    assert (count(db, Township), count(db, Village)) == (0, 0)

    loaded = load_import(db, admin, checked.run_id)
    assert not loaded.dry_run and loaded.counts["created"] == 3
    with db.sessions() as s:
        villages = {v.code: (v.name, v.township.code, v.township.name) for v in s.scalars(select(Village))}
        counties = set(s.scalars(select(Township.county_code)))
    assert villages == {
        "533422101001": ("阿东村", "533422101", "升平镇"),
        "533422101002": ("巨水村", "533422101", "升平镇"),
        "533422102001": ("奔子栏村", "533422102", "奔子栏镇"),
    }
    assert counties == {"533422"}
    assert [r.record_id for r in loaded.rows] == sorted(r.record_id for r in loaded.rows)
    with pytest.raises(Conflict):  # the checked file is loaded once
        load_import(db, admin, checked.run_id)

    again = upload_import(db, admin, "places", "again.xlsx", content, dry_run=False)
    assert dict(again.counts) == {"created": 0, "updated": 0, "unchanged": 3, "refused": 0}
    renamed = [PLACES[0], ["533422101", "升平镇", "533422101002", "巨水社区"], PLACES[2]]
    moved = upload_import(db, admin, "places", "renamed.xlsx", xlsx(PLACE_HEADER, renamed), dry_run=False)
    assert [(r.status, r.changed) for r in moved.rows] == [
        ("unchanged", ()),
        ("updated", ("行政村名称",)),
        ("unchanged", ()),
    ]
    assert (count(db, Township), count(db, Village)) == (2, 3)


def test_place_errors_name_their_row_and_column_in_chinese(db):
    admin = add_admin(db)
    rows = [
        ["533422101", "升平镇", "533422101001", "阿东村"],  # 2 ok
        ["533422101", "升平镇", "53342210100", "巨水村"],  # 3 eleven digits
        ["533422102", "升平镇", "533422101003", "雾浓顶村"],  # 4 not in that township
        ["533422101", "升平镇", "533422101004", None],  # 5 no village name
        ["533422101", "升平镇", "533422101001", "阿东村"],  # 6 the village of row 2 again
        ["530102001", "华山街道", "530102001001", "某社区"],  # 7 another county
        ["533422101", "升平乡", "533422101005", "书松村"],  # 8 the township named otherwise
        ["000000101", "示例镇", "000000101001", "示例村"],  # 9 the template's example
    ]
    report = upload_import(db, admin, "places", "places.xlsx", xlsx(PLACE_HEADER, rows))
    assert errors_of(report) == {
        3: [("行政村代码", "validation.village_code")],
        4: [("乡镇代码", "validation.township_code")],
        5: [("行政村名称", "validation.required")],
        6: [("行政村代码", "validation.duplicate_row")],
        7: [("行政村代码", "validation.county")],
        8: [("乡镇名称", "validation.township_name")],
        9: [("行政村代码", "validation.example_row")],
    }
    assert_chinese(report)
    by_row = {r.row: r for r in report.rows}
    assert "第2行" in by_row[6].errors[0].message and "“升平镇”" in by_row[8].errors[0].message
    assert by_row[2].status == "created"


# ----------------------------------------------------------------------------- persons


@pytest.fixture
def places(db):
    """The county of the builders (升平镇: 阿东村 533422101001, 巨水村 533422101002) and its admin."""
    c = county(db)
    return c, add_admin(db)


def registered(db, village_id: int, number: str, name: str = "卓玛") -> int:
    with db.transaction() as s:
        return create_person(
            s,
            db,
            PersonInput(
                name=name,
                id_number=number,
                village_id=village_id,
                target_groups=("relocated",),
                labour_capacity="weak",
                phone="0887-8888888",
                bank_account=BANK,
            ),
        ).id


def test_person_errors_name_their_row_and_column_in_chinese(db, places):
    c, admin = places
    a, b, d, e, f, g, h, known = distinct_ids(8)
    registered(db, c.village, known, name="卓玛")
    bad_checksum = b[:-1] + ("1" if b[-1] != "1" else "2")
    rows = [
        ["扎西", a, "533422101001", "脱贫人口", "全劳力", "13988887777", BANK],  # 2 ok
        ["次仁", bad_checksum, "533422101001", "脱贫人口", "全劳力", None, None],  # 3
        ["格桑", d, "533422109001", "脱贫人口", "全劳力", None, None],  # 4 no such village
        ["拉姆", e, "533422101001", "脱贫人口", "壮劳力", None, None],  # 5 unknown capacity
        ["央宗", f, "533422101001", "贫困户", "全劳力", None, None],  # 6 unknown group
        [None, g, "533422101001", "脱贫人口", "全劳力", None, None],  # 7 no name
        ["白玛", float(h[:15]), "533422101001", None, None, None, None],  # 8 typed as a number
        ["扎西", a, "533422101002", None, None, None, None],  # 9 the ID of row 2 again
        ["德吉", known, "533422101001", None, None, None, None],  # 10 registered as 卓玛
        ["达瓦", h, "533422101001", None, None, None, "12345"],  # 11 bank too short
    ]
    report = upload_import(db, admin, "persons", "人员.xlsx", xlsx(PERSON_HEADER, rows), dry_run=False)
    assert errors_of(report) == {
        3: [("身份证号", "validation.id_number_checksum")],
        4: [("行政村代码", "validation.village")],
        5: [("劳动力类型", "validation.labour_capacity")],
        6: [("帮扶对象类别", "validation.target_group")],
        7: [("姓名", "validation.required")],
        8: [("身份证号", "validation.id_number")],
        9: [("身份证号", "validation.duplicate_row")],
        10: [("姓名", "validation.name_mismatch")],
        11: [("银行账号", "validation.bank_account")],
    }
    assert_chinese(report)
    created = next(r for r in report.rows if r.row == 2)
    assert created.status == "created" and created.record_id is not None
    assert "第2行" in next(r for r in report.rows if r.row == 9).errors[0].message
    with db.sessions() as s:
        person = s.get_one(Person, created.record_id)
        assert (person.name, person.village.code, person.target_group_set) == (
            "扎西",
            "533422101001",
            {"poverty_alleviated"},
        )
        assert person.id_number_hash == db.vault.digest(a) and db.vault.decrypt(person.id_number_enc) == a
        assert a not in (person.id_number_enc or "") and person.id_tail_hash == db.vault.tail_digest(a[-4:])
        assert db.vault.decrypt(person.bank_account_enc) == BANK and person.registered_by_org_id is None
    assert count(db, Person) == 2  # the one registered before and 扎西


def test_a_dry_run_stores_no_person_and_keeps_its_report_masked(db, places):
    _c, admin = places
    ids = distinct_ids(3)
    report = upload_import(db, admin, "persons", "人员.xlsx", xlsx(PERSON_HEADER, person_rows(ids)))
    assert report.dry_run and report.counts["created"] == 3 and count(db, Person) == 0
    assert all(r.record_id is None for r in report.rows)
    with db.sessions() as s:
        run = s.get_one(ImportRun, report.run_id)
        kept = json.dumps(run.outcomes, ensure_ascii=False)
        assert run.dry_run and run.pending_file and run.rows_created == 3
        assert not any(number in kept or number in run.pending_file for number in ids)
        assert BANK not in kept and mask(ids[0], tail=0) in kept and ids[0][-4:] not in kept


def test_a_registered_person_is_updated_in_the_cells_filled_in_only(db, places):
    c, admin = places
    number = distinct_ids(1)[0]
    pid = registered(db, c.village, number)
    header = ["姓名", "身份证号", "行政村代码", "联系电话"]
    sheet = xlsx(header, [["卓 玛", number, "533422101002", "13900001111"]])  # spaces: the same name
    report = upload_import(db, admin, "persons", "phones.xlsx", sheet, dry_run=False)
    assert [(r.status, r.record_id, r.changed) for r in report.rows] == [
        ("updated", pid, ("行政村代码", "联系电话"))
    ]
    with db.sessions() as s:
        p = s.get_one(Person, pid)
        assert (p.phone, p.village_id, p.name) == ("13900001111", c.other_village, "卓玛")
        assert (p.target_groups, p.labour_capacity, p.bank_last4) == ("relocated", "weak", BANK[-4:])
    again = upload_import(db, admin, "persons", "phones.xlsx", sheet, dry_run=False)
    assert [(r.status, r.changed) for r in again.rows] == [("unchanged", ())]
    new_bank = "6228480000000000000"
    full = xlsx(
        [*header, "银行账号", "帮扶对象类别", "劳动力类型"],
        [["卓玛", number, "533422101002", "13900001111", new_bank, "脱贫人口、易地搬迁人口", "弱劳力"]],
    )
    report = upload_import(db, admin, "persons", "banks.xlsx", full, dry_run=False)
    assert report.rows[0].changed == ("帮扶对象类别", "银行账号")
    with db.sessions() as s:
        p = s.get_one(Person, pid)
        assert db.vault.decrypt(p.bank_account_enc) == new_bank and p.bank_last4 == "0000"
        assert p.target_group_set == {"poverty_alleviated", "relocated"}


def test_gbk_and_utf8_csv_as_excel_saves_them(db):
    admin = add_admin(db)
    places_csv = csv_bytes(PLACE_HEADER, PLACES, "gbk")
    assert upload_import(db, admin, "places", "乡镇.csv", places_csv, dry_run=False).counts["created"] == 3
    ids = distinct_ids(2)
    rows = [["阿旺·次仁", ids[0], "533422102001", "农村低收入人口", "半劳力", "13988887777", BANK]]
    rows += [["德庆", ids[1], "533422101002", "脱贫人口、易地搬迁人口", None, None, None]]
    report = upload_import(
        db, admin, "persons", "人员.csv", csv_bytes(PERSON_HEADER, rows, "gbk"), dry_run=False
    )
    assert [r.status for r in report.rows] == ["created", "created"], report.rows
    with db.sessions() as s:
        people = {p.name: p for p in s.scalars(select(Person))}
        assert (
            people["阿旺·次仁"].labour_capacity == "half" and people["阿旺·次仁"].village.name == "奔子栏村"
        )
        assert people["德庆"].target_group_set == {"poverty_alleviated", "relocated"}
        assert people["德庆"].labour_capacity == "full"
    utf8 = b"\xef\xbb\xbf" + csv_bytes(PERSON_HEADER, rows, "utf-8")
    again = upload_import(db, admin, "persons", "人员.csv", utf8, dry_run=False)
    assert [r.status for r in again.rows] == ["unchanged", "unchanged"]


# ----------------------------------------------------------------------------- result file


def test_the_result_file_lists_every_row_with_id_and_bank_numbers_masked(db, places):
    _c, admin = places
    ids = distinct_ids(3)
    rows = person_rows(ids)
    rows[1][2] = "533422109999"  # no such village
    report = upload_import(db, admin, "persons", "人员.xlsx", xlsx(PERSON_HEADER, rows), dry_run=False)
    filename, content = import_result(db, admin, report.run_id)
    assert filename == f"人员名单导入结果-{report.run_id}.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["处理结果", "汇总"]
    table = list(wb["处理结果"].iter_rows(values_only=True))
    assert table[0] == (
        "行号",
        *PERSON_HEADER,
        "处理结果",
        "记录编号",
        "更新的列",
        "错误代码",
        "错误字段",
        "错误说明",
    )
    body = {r[0]: r for r in table[1:]}
    assert sorted(body) == [2, 3, 4]
    assert body[2][2] == mask(ids[0], tail=0) and body[2][7] == mask(BANK)
    assert body[2][-6:-3] == ("已新增", report.rows[0].record_id, None)
    assert body[3][-6] == "未导入" and body[3][-3:-1] == ("validation.village", "行政村代码")
    everything = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert not any(number in everything for number in ids) and BANK not in everything
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(values_only=True)}
    assert (summary["导入编号"], summary["总行数"], summary["新增"], summary["未导入"]) == (
        report.run_id,
        3,
        2,
        1,
    )
    assert summary["处理方式"] == "正式导入"


# ----------------------------------------------------------------------------- again, many, who


def test_importing_the_same_file_again_changes_nothing(db, places):
    _c, admin = places
    content = xlsx(PERSON_HEADER, person_rows(distinct_ids(40)))
    first = upload_import(db, admin, "persons", "人员.xlsx", content)
    loaded = load_import(db, admin, first.run_id)
    assert loaded.counts["created"] == 40 and count(db, Person) == 40
    checked = upload_import(db, admin, "persons", "人员.xlsx", content)
    assert dict(checked.counts) == {"created": 0, "updated": 0, "unchanged": 40, "refused": 0}
    again = load_import(db, admin, checked.run_id)
    assert again.counts["unchanged"] == 40 and count(db, Person) == 40
    # a newer check replaces the kept file of the older one
    older = upload_import(db, admin, "persons", "a.xlsx", content)
    upload_import(db, admin, "persons", "b.xlsx", content)
    with pytest.raises(Conflict) as err:
        load_import(db, admin, older.run_id)
    assert err.value.code == "conflict.import_loaded"


def test_a_few_thousand_persons_load_in_a_handful_of_statements(db, places):
    _c, admin = places
    n = 3000
    content = xlsx(PERSON_HEADER, person_rows(distinct_ids(n)))
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        report = upload_import(db, admin, "persons", "人员.xlsx", content, dry_run=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert report.counts["created"] == n and count(db, Person) == n
    assert len(statements) < 25, statements  # not a statement per person
    with db.sessions() as s:
        assert len(set(s.scalars(select(Person.id_number_hash)))) == n


def test_who_may_import_what(db, places):
    c, admin = places
    content = xlsx(PERSON_HEADER, person_rows(distinct_ids(2)))
    mine = upload_import(db, c.hr, "persons", "人员.xlsx", content)  # HR registers people
    assert mine.counts["created"] == 2
    with pytest.raises(TransitionRefused):
        upload_import(db, c.hr, "places", "places.xlsx", xlsx(PLACE_HEADER, PLACES))
    for actor in (c.verifier, c.finance, c.agent):
        with pytest.raises(TransitionRefused):
            upload_import(db, actor, "persons", "人员.xlsx", content)
        with pytest.raises(NotFound):
            load_import(db, actor, mine.run_id)
    places_run = upload_import(db, admin, "places", "places.xlsx", xlsx(PLACE_HEADER, PLACES))
    with pytest.raises(NotFound):
        import_result(db, c.hr, places_run.run_id)
    assert load_import(db, admin, mine.run_id).counts["created"] == 2  # the admin may load HR's
    with pytest.raises(NotFound):
        upload_import(db, admin, "organisations", "x.xlsx", content)


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [
        ("a.xlsx", b"", "validation.list_empty"),
        ("a.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 60, "validation.list_format"),
        ("a.csv", "备注\n你好\n".encode(), "validation.list_header"),
        ("a.csv", "姓名,身份证号\n卓玛,1\n".encode(), "validation.list_columns"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(db, places, filename, content, code):
    _c, admin = places
    with pytest.raises(ValidationFailed) as err:
        upload_import(db, admin, "persons", filename, content)
    assert err.value.code == code and CJK.search(err.value.message)
    assert count(db, ImportRun) == 0


# ----------------------------------------------------------------------------- the page


def test_the_page_checks_loads_and_hands_back_the_result(db, places):
    _c, _admin = places
    browser = sign_in(db, "admin1")
    page = browser.get("/imports")
    assert page.status_code == 200 and "/imports/template/places" in page.text
    template = browser.get("/imports/template/persons")
    assert (
        template.headers["content-type"].startswith(XLSX)
        and "attachment" in template.headers["content-disposition"]
    )
    ids = distinct_ids(2)
    rows = person_rows(ids)
    rows[1][0] = None
    sent = browser.client.post(
        "/imports",
        data={"kind": "persons", "action": "check", "_csrf_token": csrf_of(page.text)},
        files={"file": ("人员名单.xlsx", xlsx(PERSON_HEADER, rows), XLSX)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    shown = browser.get(sent.headers["location"])
    assert shown.status_code == 200 and 'id="load"' in shown.text
    assert 'data-row="3" data-status="refused"' in shown.text and "缺少“姓名”" in shown.text
    assert ids[0] not in shown.text and count(db, Person) == 0
    run_id = int(sent.headers["location"].rsplit("/", 1)[1])
    loaded = browser.client.post(
        f"/imports/{run_id}/load", data={"_csrf_token": csrf_of(shown.text)}, follow_redirects=False
    )
    assert loaded.status_code == 303 and loaded.headers["location"].endswith("?done=loaded")
    done = browser.get(loaded.headers["location"])
    assert "已导入" in done.text and 'data-count="created"' in done.text and count(db, Person) == 1
    result = browser.get(loaded.headers["location"].split("?")[0] + "/result.xlsx")
    assert result.status_code == 200 and result.headers["content-type"].startswith(XLSX)
    refused = browser.client.post(
        "/imports",
        data={"kind": "persons", "_csrf_token": csrf_of(done.text)},
        files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "只能上传" in refused.text
