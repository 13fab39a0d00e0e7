"""Bulk lists (申报清单): upload .xlsx / CSV (GBK, UTF-8 with BOM) / JSON, every row through
the same rules as a single claim, bad rows reported by row, column and code, good rows filed
in one transaction with their history; dry run; the same list twice; the 5-person rule;
the result file and the template."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from store.claims import list_filer as store_lists
from store.claims.list_report import get_list, list_outcomes, result_workbook
from store.claims.lists import upload_list
from store.models import Claim, ClaimHistory, ClaimList, Person
from store.people.persons import PersonInput, create_organisation, create_person
from workflow.errors import NotFound, TransitionRefused, ValidationFailed
from workflow.lists.cells import read_month
from workflow.lists.check import Candidate, check_rows
from workflow.lists.columns import BY_FIELD, COLUMNS
from workflow.lists.headers import map_headers
from workflow.lists.parse import MAX_ROWS, read_list
from workflow.lists.rows import read_row
from workflow.lists.template import EXAMPLE_ID, template_workbook
from workflow.roles import Actor, Role
from workflow.rules import DEMO_2026, ClaimantFacts, ClaimDraft, PersonFacts
from workflow.rules.facts import ClaimFacts

from .builders import county, export_claim, id_number
from .builders_imports import csv_bytes
from .builders_imports import xlsx as workbook

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


HEADER = [
    "姓名",
    "身份证号",
    "行政村代码",
    "帮扶对象类别",
    "补贴类型",
    "务工地点",
    "就业开始日期",
    "实际交通费",
]
VILLAGE = "533422101001"
LES = "有组织劳务输出就业创业服务补助"
TRANSPORT = "一次性外出务工交通补助"


def bad_checksum(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def mixed_rows() -> tuple[list[list[object]], dict[int, tuple[str, str]], list[str]]:
    """A list with good rows and one of each common mistake; the expected (column, code) of
    every bad row by its sheet row number (the header is row 1)."""
    a, b, c, d, e, f = (id_number() for _ in range(6))
    rows: list[list[object]] = [
        ["扎西", a, VILLAGE, "脱贫人口", LES, "省外", "2026-03-01", None],  # 2 ok 300
        ["扎西", a, VILLAGE, "脱贫人口", TRANSPORT, "县外省内", "2026-03-01", "620"],  # 3 ok 500
        ["卓玛", bad_checksum(b), VILLAGE, "脱贫人口", LES, "省外", "2026-03-01", None],  # 4
        ["次仁", c, "533422101999", "脱贫人口", LES, "省外", "2026-03-01", None],  # 5
        ["格桑", d, VILLAGE, "易地搬迁人口", LES, "县内", "2026-03-01", None],  # 6
        ["拉姆", e, VILLAGE, "农村低收入人口", LES, "省外", "2026-10-01", None],  # 7
        ["扎西", a, VILLAGE, "脱贫人口", LES, "省外", "2026-03-01", None],  # 8 dup of 2
        ["央宗", f, VILLAGE, "脱贫人口", LES, "省外", "2026-02-30", None],  # 9
        [
            "白玛",
            id_number(),
            "533422101002",
            "relocated",
            "labour_export_service",
            "out_of_province",
            "2026/4/15",
            None,
        ],  # 10 ok 300
    ]
    expected = {
        4: ("身份证号", "validation.id_number_checksum"),
        5: ("行政村代码", "validation.village"),
        6: ("务工地点", "rule.no_subsidy_in_county"),
        7: ("就业开始日期", "rule.employment_too_short"),
        8: ("身份证号", "rule.duplicate"),
        9: ("就业开始日期", "validation.date"),
    }
    return rows, expected, [a]


def xlsx(header: list[str], rows: list[list[object]], title: str | None = None) -> bytes:
    """A list as an agent fills it in: the sheet 申报清单."""
    return workbook(header, rows, sheet="申报清单", title=title)


def claims_of(db, list_id: int) -> list[Claim]:
    with db.sessions() as s:
        return list(s.scalars(select(Claim).where(Claim.batch_ref == f"L{list_id}").order_by(Claim.id)))


def count(db, model) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def assert_mixed_report(db, c, report, expected):
    assert (report.rows_total, report.rows_accepted, report.rows_refused) == (9, 3, 6)
    by_row = {r.row: r for r in report.rows}
    assert sorted(by_row) == list(range(2, 11))
    for number, (column, code) in expected.items():
        row = by_row[number]
        assert row.status == "refused" and row.claim_id is None, row
        assert (row.errors[0].column, row.errors[0].code) == (column, code), row
        assert row.errors[0].message  # Chinese, for people
    assert [by_row[n].amount for n in (2, 3, 10)] == [Decimal("300.00"), Decimal("500.00"), Decimal("300.00")]
    assert "第2行" in by_row[8].errors[0].message
    claims = claims_of(db, report.list_id)
    assert [cl.id for cl in claims] == [by_row[n].claim_id for n in (2, 3, 10)]
    assert [(cl.subsidy_type, cl.state, cl.claimant_org_id, cl.amount) for cl in claims] == [
        ("labour_export_service", "submitted", c.org, Decimal("300.00")),
        ("transport_subsidy", "submitted", c.org, Decimal("500.00")),
        ("labour_export_service", "submitted", c.org, Decimal("300.00")),
    ]
    assert claims[0].facts == {"destination": "out_of_province", "employment_start": "2026-03-01"}
    assert claims[1].rule == "transport_subsidy.in_province"
    assert claims[2].facts["employment_start"] == "2026-04-15"
    assert claims[0].due_at.date() == date(2026, 12, 4)  # five working days, as filed alone
    with db.sessions() as s:
        history = s.execute(
            select(
                ClaimHistory.claim_id,
                ClaimHistory.trigger,
                ClaimHistory.from_state,
                ClaimHistory.to_state,
                ClaimHistory.role,
                ClaimHistory.actor_id,
            ).order_by(ClaimHistory.id)
        ).all()
        assert history == [(cl.id, "submit", None, "submitted", "agent", c.agent.user_id) for cl in claims]
        persons = {p.name: p for p in s.scalars(select(Person))}
        # Only the persons of accepted rows are registered, once each, by the organisation.
        assert sorted(persons) == ["扎西", "白玛"]
        assert {p.registered_by_org_id for p in persons.values()} == {c.org}
        assert persons["扎西"].target_group_set == {"poverty_alleviated"}
        assert persons["白玛"].village.code == "533422101002"
        assert persons["白玛"].target_group_set == {"relocated"}
        assert claims[2].person_id == persons["白玛"].id
        stored = s.get(ClaimList, report.list_id)
        assert (stored.rows_total, stored.rows_accepted, stored.rows_refused) == (9, 3, 6)
        assert stored.org_id == c.org and not stored.dry_run


# ----------------------------------------------------------------------------- formats


def test_xlsx_list_files_good_rows_and_reports_each_bad_one(db):
    c = county(db)
    rows, expected, _ = mixed_rows()
    report = upload_list(db, c.agent, "清单.xlsx", xlsx(HEADER, rows))
    assert_mixed_report(db, c, report, expected)
    with db.sessions() as s:
        assert s.get(ClaimList, report.list_id).file_format == "xlsx"


def test_gbk_csv_as_chinese_excel_saves_it(db):
    c = county(db)
    rows, expected, _ = mixed_rows()
    content = csv_bytes(HEADER, rows, "gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    report = upload_list(db, c.agent, "清单.csv", content)
    assert_mixed_report(db, c, report, expected)


def test_utf8_csv_with_bom(db):
    c = county(db)
    rows, expected, _ = mixed_rows()
    report = upload_list(db, c.agent, "list.csv", b"\xef\xbb\xbf" + csv_bytes(HEADER, rows, "utf-8"))
    assert_mixed_report(db, c, report, expected)


def test_json_list_with_field_codes_and_nested_facts(db):
    c = county(db)
    rows, expected, _ = mixed_rows()
    fields = ["name", "id_number", "village_code", "target_groups", "subsidy_type"]
    data = []
    for r in rows:
        item = dict(zip(fields, r[:5], strict=True))
        item["facts"] = {"destination": r[5], "employment_start": r[6]}
        if r[7] is not None:
            item["facts"]["fare"] = r[7]
        data.append(item)
    report = upload_list(db, c.agent, "list.json", json.dumps({"rows": data}).encode())
    # JSON rows count from 1, not from a header row.
    shifted = {n - 1: v for n, v in expected.items()}
    assert (report.rows_accepted, report.rows_refused) == (3, 6)
    for row in report.rows:
        if row.row in shifted:
            assert (row.errors[0].column, row.errors[0].code) == shifted[row.row]
    # A bare array with Chinese keys works too; unknown keys are refused.
    again = upload_list(
        db,
        c.agent,
        "list.json",
        json.dumps(
            [
                {
                    "姓名": "扎西",
                    "身份证号": id_number(),
                    "行政村代码": VILLAGE,
                    "帮扶对象类别": ["脱贫人口"],
                    "补贴类型": "labour_export_service",
                    "务工地点": "省外",
                    "就业开始日期": "2026-03-01",
                }
            ],
            ensure_ascii=False,
        ).encode(),
    )
    assert again.rows_accepted == 1
    with pytest.raises(ValidationFailed) as err:
        upload_list(
            db,
            c.agent,
            "x.json",
            json.dumps([{"name": "扎西", "id_number": "1", "subsidy_type": "x", "colour": 1}]).encode(),
        )
    assert (err.value.code, err.value.details["field"]) == ("validation.list_columns", "colour")


def test_xlsx_with_title_row_aliases_and_real_dates(db):
    c = county(db)
    header = [
        "序号",
        "姓名",
        "身份证号码",
        "村代码",
        "人员类别",
        "补贴项目",
        "就业地点",
        "务工开始日期",
        "交通费",
        "备注",
    ]
    good = id_number()
    rows = [
        [
            1,
            "扎西",
            good,
            VILLAGE,
            "脱贫人口、易地搬迁人口",
            TRANSPORT,
            "省外",
            datetime(2026, 3, 1),
            1250.5,
            "备注不影响",
        ],
        [2, "卓玛", 533422199001011236.0, VILLAGE, "脱贫人口", LES, "省外", datetime(2026, 3, 1), None, None],
        [3, "次仁", id_number(), VILLAGE, "贫困户", LES, "国外", "明天", "abc", None],
    ]
    report = upload_list(db, c.agent, "t.xlsx", xlsx(header, rows, title="德钦县2026年外出务工申报清单"))
    by_row = {r.row: r for r in report.rows}
    assert sorted(by_row) == [3, 4, 5]  # the sheet's own row numbers, under the title row
    assert by_row[3].status == "accepted" and by_row[3].amount == Decimal("1000.00")  # capped
    assert [(e.column, e.code) for e in by_row[4].errors] == [("身份证号", "validation.id_number")]
    assert "文本" in by_row[4].errors[0].message
    # Every cell error of a row at once, not just the first.
    assert [(e.column, e.code) for e in by_row[5].errors] == [
        ("帮扶对象类别", "validation.target_group"),
        ("务工地点", "validation.destination"),
        ("就业开始日期", "validation.date"),
        ("实际交通费", "validation.not_a_number"),
    ]
    with db.sessions() as s:
        person = s.scalar(select(Person).where(Person.name == "扎西"))
        assert person.target_group_set == {"poverty_alleviated", "relocated"}


# ----------------------------------------------------------------------------- semantics


def test_dry_run_stores_no_claims_and_no_persons_but_keeps_the_report(db):
    c = county(db)
    rows, _, _ = mixed_rows()
    content = xlsx(HEADER, rows)
    report = upload_list(db, c.agent, "清单.xlsx", content, dry_run=True)
    assert report.dry_run and (report.rows_accepted, report.rows_refused) == (3, 6)
    assert {r.status for r in report.rows} == {"valid", "refused"}
    assert all(r.claim_id is None for r in report.rows)
    assert [r.amount for r in report.rows if r.status == "valid"] == [
        Decimal("300.00"),
        Decimal("500.00"),
        Decimal("300.00"),
    ]
    assert (count(db, Claim), count(db, Person), count(db, ClaimHistory)) == (0, 0, 0)
    stored = get_list(db, c.agent, report.list_id)
    assert stored.dry_run and list_outcomes(stored) == report
    real = upload_list(db, c.agent, "清单.xlsx", content)
    assert [r.status for r in real.rows] == [
        "accepted" if r.status == "valid" else "refused" for r in report.rows
    ]


def test_the_same_list_twice_files_nothing_new_even_from_another_claimant(db):
    c = county(db)
    rows, _, _ = mixed_rows()
    content = xlsx(HEADER, rows)
    first = upload_list(db, c.agent, "清单.xlsx", content)
    claims, persons = count(db, Claim), count(db, Person)
    second = upload_list(db, c.agent, "清单.xlsx", content)
    assert second.rows_accepted == 0
    accepted_before = {r.row for r in first.rows if r.status == "accepted"}
    assert all(r.errors[0].code == "rule.duplicate" for r in second.rows if r.row in accepted_before)
    # Another organisation: one labour-export claim per person per year, whoever claims.
    third = upload_list(db, c.other_agent, "清单.xlsx", content)
    assert third.rows_accepted == 0
    assert (count(db, Claim), count(db, Person)) == (claims, persons)


def test_existing_person_is_found_by_id_and_the_name_must_match(db):
    c = county(db)
    number = id_number()
    with db.transaction() as s:
        pid = create_person(s, db, PersonInput("扎西 次仁", number, c.village, ("poverty_alleviated",))).id
    export = export_claim(db, c, pid)  # already has this year's labour-export claim
    rows = [
        ["扎西次仁", number, None, None, TRANSPORT, "省外", "2026-03-01", "300"],  # ok (stored data)
        ["扎西", number, None, None, "migrant_work_reward", "省外", "2026-03-01", None],
        ["扎西次仁", number, None, None, LES, "省外", "2026-03-01", None],
        ["多吉", id_number(), None, "脱贫人口", LES, "省外", "2026-03-01", None],
    ]
    report = upload_list(db, c.agent, "x.xlsx", xlsx(HEADER, rows))
    got = [(r.status, r.errors[0].code if r.errors else None) for r in report.rows]
    assert got == [
        ("accepted", None),
        ("refused", "validation.name_mismatch"),
        ("refused", "rule.duplicate"),
        ("refused", "validation.required"),
    ]
    assert report.rows[3].errors[0].column == "行政村代码"
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
        claim = s.get(Claim, report.rows[0].claim_id)
        assert claim.person_id == pid and claim.id != export.id


def test_exclusive_subsidies_inside_one_list(db):
    c = county(db)
    number = id_number()
    rows = [
        ["扎西", number, VILLAGE, "脱贫人口", TRANSPORT, "省外", "2026-03-01", "300"],
        ["扎西", number, VILLAGE, "脱贫人口", "一次性外出务工奖补", "省外", "2026-03-01", None],
    ]
    report = upload_list(db, c.agent, "x.xlsx", xlsx(HEADER, rows))
    assert report.rows[0].status == "accepted"
    assert (report.rows[1].errors[0].code, report.rows[1].errors[0].column) == (
        "rule.exclusive_with",
        "补贴类型",
    )


@pytest.fixture
def startup(db, clock):
    """A first business (an enterprise) and its agent, on 28 November 2026."""
    clock.current = datetime(2026, 11, 28, 10)
    c = county(db)
    with db.transaction() as s:
        org = create_organisation(s, db, name="梅里创业合作社", kind="enterprise", first_business=True)
    return c, Actor(user_id=999, roles=frozenset({Role.AGENT}), org_id=org.id, name="创业者")


STARTUP_HEADER = [
    "姓名",
    "身份证号",
    "行政村代码",
    "帮扶对象类别",
    "补贴类型",
    "就业开始日期",
    "已发工资额",
    "是否正常经营",
]


def startup_rows(n: int) -> list[list[object]]:
    return [
        [f"员工{i}", id_number(), VILLAGE, "脱贫人口", "一次性创业补贴", "2026-09-01", "6000", "是"]
        for i in range(n)
    ]


def test_five_person_rule_counts_the_lists_valid_rows_and_earlier_claims(db, startup):
    _, agent = startup
    four = upload_list(db, agent, "4.xlsx", xlsx(STARTUP_HEADER, startup_rows(4)))
    assert four.rows_accepted == 4  # filed; approval waits for the fifth (a standing condition)
    assert {r.amount for r in four.rows} == {Decimal("900.00")}  # 15 % of 6,000
    assert all(
        "目前计入吸纳目标人员4人（须达到5人方可审核通过）" in cl.rule_explanation
        for cl in claims_of(db, four.list_id)
    )
    # A fifth person later, alone in a list: the four already filed count.
    fifth = upload_list(db, agent, "5.xlsx", xlsx(STARTUP_HEADER, startup_rows(1)))
    assert fifth.rows_accepted == 1
    (claim,) = claims_of(db, fifth.list_id)
    assert "目前计入吸纳目标人员5人，" in claim.rule_explanation


def test_five_person_rule_counts_only_the_valid_rows_of_a_list(db, startup):
    _, agent = startup
    rows = startup_rows(5)
    rows[2][5] = "2026-11-20"  # absorbed for less than a month
    report = upload_list(db, agent, "5.xlsx", xlsx(STARTUP_HEADER, rows))
    codes = [r.errors[0].code if r.errors else None for r in report.rows]
    assert codes == [None, None, "rule.employment_too_short", None, None]
    assert all(
        "计入吸纳目标人员4人（须达到5人" in cl.rule_explanation for cl in claims_of(db, report.list_id)
    )
    # One person twice is still one person: the repeat is refused, four are counted.
    rows = startup_rows(4)
    rows.append(list(rows[0]))
    report = upload_list(db, agent, "dup.xlsx", xlsx(STARTUP_HEADER, rows))
    assert report.rows_accepted == 4
    assert report.rows[4].errors[0].code == "rule.duplicate"


def test_fixpoint_in_pure_check():
    """A refused row does not count towards its siblings' absorbed persons."""
    claimant = ClaimantFacts(1, "enterprise", first_business=True)
    facts = ClaimFacts(employment_start=date(2026, 9, 1), wages_paid=Decimal("1000"), operating_normally=True)
    late = ClaimFacts(
        employment_start=date(2026, 11, 20), wages_paid=Decimal("1000"), operating_normally=True
    )
    cands = [
        Candidate(
            i,
            ClaimDraft(
                "startup_subsidy",
                2026,
                PersonFacts(i, frozenset({"relocated"})),
                claimant,
                late if i == 6 else facts,
            ),
            DEMO_2026,
        )
        for i in range(1, 7)
    ]
    outcomes, refused = check_rows(cands, {}, {}, date(2026, 11, 28))
    assert sorted(outcomes) == [1, 2, 3, 4, 5] and list(refused) == [6]
    assert {o.absorbed for o in outcomes.values()} == {5}  # the refused row is not counted
    outcomes, refused = check_rows(cands[1:], {}, {}, date(2026, 11, 28))
    assert sorted(outcomes) == [2, 3, 4, 5] and list(refused) == [6]
    assert {o.absorbed for o in outcomes.values()} == {4}


def test_a_race_on_insert_falls_back_to_row_by_row(db, monkeypatch):
    """A claim filed by someone else between the list's reads and its writes: the bulk insert
    meets the unique constraint, the list is checked again and written row by row."""
    c = county(db)
    number = id_number()
    with db.transaction() as s:
        pid = create_person(s, db, PersonInput("扎西", number, c.village, ("poverty_alleviated",))).id
    export_claim(db, c, pid, agent=c.other_agent)
    real_live = store_lists._Filer._live
    calls = []

    def stale_first(self, candidates):
        calls.append(1)
        if len(calls) == 1:  # the first read misses the claim filed "meanwhile"
            return {}, {}
        return real_live(self, candidates)

    monkeypatch.setattr(store_lists._Filer, "_live", stale_first)
    rows = [
        ["扎西", number, None, None, LES, "省外", "2026-03-01", None],
        ["卓玛", id_number(), VILLAGE, "脱贫人口", LES, "省外", "2026-03-01", None],
    ]
    report = upload_list(db, c.agent, "x.xlsx", xlsx(HEADER, rows))
    assert len(calls) == 2
    assert [r.status for r in report.rows] == ["refused", "accepted"]
    assert report.rows[0].errors[0].code == "rule.duplicate"
    assert count(db, Claim) == 2 and count(db, ClaimHistory) == 2


# ----------------------------------------------------------------------------- files out


def test_result_workbook_lists_every_row_with_masked_ids(db):
    c = county(db)
    rows, expected, ids = mixed_rows()
    report = upload_list(db, c.agent, "清单.xlsx", xlsx(HEADER, rows))
    claim_list = get_list(db, c.agent, report.list_id)
    assert ids[0] not in json.dumps(claim_list.outcomes, ensure_ascii=False)  # masked at rest
    wb = openpyxl.load_workbook(io.BytesIO(result_workbook(claim_list)))
    assert wb.sheetnames == ["处理结果", "汇总"]
    ws = wb["处理结果"]
    table = list(ws.iter_rows(values_only=True))
    head = table[0]
    assert head[: len(HEADER) + 1] == ("行号", *HEADER)
    assert head[-6:] == ("处理结果", "申请编号", "金额", "错误代码", "错误字段", "错误说明")
    body = {r[0]: r for r in table[1:]}
    assert sorted(body) == list(range(2, 11))
    assert body[2][-6:-3] == ("已受理", report.rows[0].claim_id, 300)
    assert body[2][2] == ids[0][:4] + "*" * 14  # no digit of the tail: it would complete the number
    for number, (column, code) in expected.items():
        assert body[number][-6] == "未受理"
        assert (body[number][-3], body[number][-2]) == (code, column)
    refused_row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == 4)
    assert refused_row[0].fill.fgColor.rgb.endswith("FFC7CE")
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(values_only=True)}
    assert (summary["总行数"], summary["已受理"], summary["未受理"]) == (9, 3, 6)


def test_template_has_chinese_headers_dropdowns_and_a_valid_example(db):
    c = county(db)
    content = template_workbook()
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["申报清单", "填写说明"]
    ws = wb["申报清单"]
    headers = [cell.value for cell in ws[1]]
    assert headers == [col.header for col in COLUMNS]
    assert all("\u4e00" <= h[0] <= "\u9fff" for h in headers)
    assert ws["B1"].comment is not None and "文本" in ws["B1"].comment.text
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    subsidy_col = openpyxl.utils.get_column_letter(headers.index("补贴类型") + 1)
    dest_col = openpyxl.utils.get_column_letter(headers.index("务工地点") + 1)
    assert "一次性外出务工交通补助" in dropdowns[f"{subsidy_col}2"]
    assert "县外省内" in dropdowns[f"{dest_col}2"]
    help_text = " ".join(str(v) for row in wb["填写说明"].iter_rows(values_only=True) for v in row if v)
    assert "transport_subsidy" in help_text and "示例" in help_text
    # The example row parses and passes every cell check but the made-up ID number ...
    raw = read_list("template.xlsx", content)
    assert raw.headers == tuple(headers) and len(raw.rows) == 1
    index = map_headers(raw.headers).index
    errors = read_row(2, {f: raw.rows[0][1][i] for f, i in index.items()})
    assert [(e.column, e.code) for e in errors] == [("身份证号", "validation.example_row")]
    report = upload_list(db, c.agent, "template.xlsx", content, dry_run=True)
    assert report.rows[0].errors[0].code == "validation.example_row"
    # ... and with a real ID number it is a valid claim for a county like the demo one.
    ws["B2"] = id_number()
    out = io.BytesIO()
    wb.save(out)
    report = upload_list(db, c.agent, "template.xlsx", out.getvalue(), dry_run=True)
    assert report.rows[0].status == "valid" and report.rows[0].amount == Decimal("300.00")
    assert EXAMPLE_ID in help_text or "虚构" in help_text


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("filename", "content", "code", "field"),
    [
        ("a.xlsx", b"", "validation.list_empty", "file"),
        ("a.pdf", b"%PDF-1.4 whatever", "validation.list_format", "file"),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "validation.list_format", "file"),
        ("a.xlsx", b"PK\x03\x04 not really a zip", "validation.list_format", "file"),
        ("a.xlsx", b"just text", "validation.list_format", "file"),
        ("a.csv", "备注\n你好\n".encode(), "validation.list_header", "file"),
        ("a.csv", "姓名,身份证号,行政村代码\n".encode(), "validation.list_columns", "补贴类型"),
        ("a.csv", "姓名,身份证号,行政村代码,补贴类型\n".encode(), "validation.list_empty", "file"),
        (
            "a.csv",
            "姓名,身份证号,身份证号码,行政村代码,补贴类型\n".encode(),
            "validation.list_columns",
            "身份证号",
        ),
        ("a.csv", b"\x00\x01\x02binary", "validation.list_format", "file"),
        ("a.json", b"{not json", "validation.list_format", "file"),
        ("a.json", b'{"rows": 3}', "validation.list_format", "file"),
        ("a.json", b"[1, 2]", "validation.list_format", "file"),
    ],
)
def test_unreadable_files_are_refused_with_a_code(db, filename, content, code, field):
    c = county(db)
    with pytest.raises(ValidationFailed) as err:
        upload_list(db, c.agent, filename, content)
    assert (err.value.code, err.value.details["field"]) == (code, field)
    assert err.value.message
    assert count(db, ClaimList) == 0


def test_size_and_row_limits(db):
    c = county(db)
    head = "姓名,身份证号,行政村代码,补贴类型\n"
    too_many = head + "扎西,1,2,3\n" * (MAX_ROWS + 1)
    with pytest.raises(ValidationFailed) as err:
        upload_list(db, c.agent, "a.csv", too_many.encode())
    assert err.value.code == "validation.list_too_many_rows"
    with pytest.raises(ValidationFailed) as err:
        upload_list(db, c.agent, "a.csv", (head + "x" * (10 * 1024 * 1024)).encode())
    assert err.value.code == "validation.list_too_large"


def test_only_agents_upload_and_only_their_organisation_sees_a_list(db):
    c = county(db)
    with pytest.raises(TransitionRefused):
        upload_list(db, c.hr, "a.csv", b"x")
    report = upload_list(db, c.agent, "a.csv", csv_bytes(HEADER, mixed_rows()[0], "utf-8"))
    assert get_list(db, c.agent, report.list_id).id == report.list_id
    for other in (c.other_agent, c.hr):
        with pytest.raises(NotFound):
            get_list(db, other, report.list_id)
    for missing in (report.list_id + 100, 0, -1, 2**31, 10**40):
        with pytest.raises(NotFound):
            get_list(db, c.agent, missing)


# ----------------------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-10", "2026-10"),
        ("2026/9", "2026-09"),
        ("2026年9月", "2026-09"),
        ("202609", "2026-09"),
        (datetime(2026, 9, 1), "2026-09"),
        ("2026-09-15", "2026-09"),
    ],
)
def test_months(raw, expected):
    assert read_month(BY_FIELD["month"], raw) == expected


def test_cells_by_label_or_code_and_flags():
    row = read_row(
        7,
        {
            "name": " 扎西 ",
            "id_number": "53342219850105123x",
            "subsidy_type": "training_allowance",
            "labour_capacity": "半劳力",
            "target_groups": "脱贫人口,relocated",
            "course_completed": "是",
            "course_days": "5天",
            "course_id": "K-1",
            "employment_start": "2026年3月1日",
            "fare": "1,250.50元",
            "policy_year": "2026年",
            "bank_account": "6222 0212 3456 7890 123",
        },
    )
    assert not isinstance(row, tuple)
    assert (row.row, row.name, row.id_number, row.labour_capacity) == (
        7,
        "扎西",
        "53342219850105123X",
        "half",
    )
    assert row.target_groups == ("poverty_alleviated", "relocated")
    assert row.policy_year == 2026 and row.bank_account == "6222021234567890123"
    assert row.facts == {
        "course_completed": True,
        "course_days": 5,
        "course_id": "K-1",
        "employment_start": date(2026, 3, 1),
        "fare": Decimal("1250.50"),
    }
    errors = read_row(8, {"name": None, "id_number": "", "subsidy_type": "奖金", "course_completed": "也许"})
    assert [(e.column, e.code) for e in errors] == [
        ("补贴类型", "validation.subsidy_type"),
        ("是否结业", "validation.flag"),
        ("姓名", "validation.required"),
        ("身份证号", "validation.required"),
    ]


def test_concurrent_uploads_of_the_same_people_file_each_claim_once(db):
    """Four uploads at once (two organisations, rows in two orders, half the persons already
    registered): every place is taken exactly once, nobody fails. On PostgreSQL this takes
    the race path (unique violation or deadlock → checked again, row by row)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    c = county(db)
    numbers = [id_number() for _ in range(30)]
    with db.transaction() as s:
        for number in numbers[::2]:
            create_person(s, db, PersonInput("扎西", number, c.village, ("poverty_alleviated",)))
    rows = [["扎西", n, VILLAGE, "脱贫人口", LES, "省外", "2026-03-01", None] for n in numbers]
    forward, backward = xlsx(HEADER, rows), xlsx(HEADER, rows[::-1])
    jobs = [(c.agent, forward), (c.other_agent, backward), (c.other_agent, forward), (c.agent, backward)]
    barrier = threading.Barrier(len(jobs))

    def upload(job):
        barrier.wait()
        return upload_list(db, job[0], "x.xlsx", job[1])

    with ThreadPoolExecutor(len(jobs)) as pool:
        reports = list(pool.map(upload, jobs))
    assert sum(r.rows_accepted for r in reports) == 30
    refused = {r.errors[0].code for rep in reports for r in rep.rows if r.status == "refused"}
    assert refused <= {"rule.duplicate", "conflict.person_registered"}
    assert (count(db, Claim), count(db, Person), count(db, ClaimHistory)) == (30, 30, 30)


def test_numbers_beyond_any_real_row_are_refused_not_stored():
    errors = read_row(
        2,
        {
            "name": "扎西",
            "id_number": "53342219850105123X",
            "subsidy_type": "training_allowance",
            "course_days": 10**12,
            "contract_id": 2**40,
            "policy_year": 99999,
            "training_months": -3,
        },
    )
    assert [(e.column, e.code) for e in errors] == [
        ("培训天数", "validation.too_large"),
        ("协议编号", "validation.too_large"),
        ("政策年度", "validation.policy_year"),
        ("以工代训月数", "validation.integer"),
    ]


def test_odd_json_values_are_row_errors_not_crashes(db):
    c = county(db)
    content = (
        '[{"name": "扎西", "id_number": NaN, "subsidy_type": "labour_export_service", '
        '"village_code": {"a": 1}, "phone": Infinity, "contract_id": 1e400, '
        '"target_groups": [1, 2]}]'
    ).encode()
    report = upload_list(db, c.agent, "x.json", content)
    assert report.rows_refused == 1
    assert {e.code for e in report.rows[0].errors} >= {"validation.id_number", "validation.target_group"}
    assert get_list(db, c.agent, report.list_id).outcomes["rows"][0]["cells"]


def test_fact_columns_carry_the_rules_own_labels():
    from workflow.rules import facts

    labels = getattr(facts, "FACT_LABELS", None) or facts._FACT_LABELS
    assert {f: BY_FIELD[f].header for f in labels} == labels


def test_control_characters_and_lone_surrogates_are_not_a_crash(db):
    """Neither PostgreSQL (NUL) nor .xlsx (any C0 control) nor UTF-8 (a lone surrogate) can
    hold them: control characters are dropped, a surrogate refuses its cell."""
    c = county(db)

    def row(name: str) -> str:
        return ",".join([name, id_number(), VILLAGE, "脱贫人口", LES, "省外", "2026-03-01"])

    header = ",".join(HEADER[:7])
    surrogate = {
        "name": "\ud800",
        "id_number": id_number(),
        "village_code": VILLAGE,
        "target_groups": "脱贫人口",
        "subsidy_type": "labour_export_service",
        "destination": "省外\x02",
        "employment_start": "2026-03-01",
    }
    uploads = {
        "扎\x00西.csv": "\r\n".join([header, row("扎\x00西")]).encode("utf-16"),
        "control.csv": "\r\n".join([header, row("扎\x01西")]).encode("utf-8"),
        "surrogate\udc80.json": json.dumps({"rows": [surrogate]}).encode(),
    }
    statuses = []
    for name, content in uploads.items():
        report = upload_list(db, c.agent, name, content)
        statuses.append([(r.status, [e.code for e in r.errors]) for r in report.rows])
        result_workbook(get_list(db, c.agent, report.list_id))  # writable
    assert statuses == [[("accepted", [])], [("accepted", [])], [("refused", ["validation.bad_character"])]]
    with db.sessions() as s:
        assert s.scalars(select(Person.name)).all() == ["扎西", "扎西"]
        assert s.scalars(select(ClaimList.filename)).all()[0] == "扎西.csv"
