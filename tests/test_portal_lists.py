"""Bulk lists on the agents' pages: the template downloaded and filled in as Excel does, the upload
checked first (nothing filed), each row's result on the page (row, column, Chinese reason) and
as a file, then the checked file filed once; CSV in UTF-8 and GBK; another organisation's lists
are not found."""

from __future__ import annotations

import io
import re
from datetime import date

from sqlalchemy import func, select

from store.claims import agent_pages
from store.models import Claim

from .builders import id_number
from .portal_support import filled_template, signed_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows(valid: int, *, bad_id: bool = True) -> list[dict[str, object]]:
    """``valid`` rows for new persons of the first village, and one whose ID number is wrong."""
    made: list[dict[str, object]] = [
        {
            "姓名": f"卓玛{n}",
            "身份证号": id_number(),
            "行政村代码": "533422101001",
            "帮扶对象类别": "脱贫人口",
            "补贴类型": "有组织劳务输出就业创业服务补助",
            "务工地点": "省外",
            "就业开始日期": date(2026, 3, 1),
        }
        for n in range(valid)
    ]
    if bad_id:
        made.append({**made[0], "姓名": "次仁", "身份证号": "533422199001011234"})
    return made


def claims_count(db) -> int:
    with db.sessions() as s:
        return s.scalar(select(func.count()).select_from(Claim)) or 0


def test_a_list_is_checked_then_filed_from_the_downloaded_template(db, c, tmp_path):
    agent = signed_in(db, tmp_path, "agent1")
    assert "/agent/lists/template.xlsx" in agent.get("/agent/claims").text
    template = agent.get("/agent/lists/template.xlsx")
    assert template.status_code == 200 and template.headers["content-type"].startswith(XLSX)
    content = filled_template(template.content, rows(2))
    r = agent.upload("/agent/lists", "/agent/lists", {"file": ("十一月名单.xlsx", content, XLSX)})
    assert r.status_code == 303
    checked = r.headers["location"]
    assert re.fullmatch(r"/agent/lists/\d+", checked)
    assert claims_count(db) == 0  # a dry run files nothing
    page = agent.get(checked)
    assert page.status_code == 200 and "检查结果" in page.text and "十一月名单.xlsx" in page.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    # The refused row: its number, the column by its Chinese header and the reason in Chinese.
    refused = re.search(r'<tr class="late" data-row="(\d+)">(.*?)</tr>', page.text, re.S)
    assert refused is not None and refused.group(1) == "4"
    assert "第4行" in refused.group(2) and "未通过" in refused.group(2)
    assert "<b>身份证号</b>：身份证号校验位不正确" in refused.group(2)
    assert text.count("检查通过") == 4  # the two rows, their count and the paragraph above
    assert "正式提交2行" in text
    result = agent.get(f"{checked}/result.xlsx")
    assert result.status_code == 200 and result.content[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(result.content)).worksheets[0]
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert any("未受理" in str(v) for row in values for v in row)
    # The kept file is encrypted: no ID number in it.
    kept = list((tmp_path / agent_pages.CHECKED).iterdir())
    assert len(kept) == 1 and b"533422" not in kept[0].read_bytes()
    list_id = checked.rsplit("/", 1)[1]
    filed = agent.submit(checked, f"{checked}/file", {})
    assert filed.status_code == 303, filed.text
    assert re.fullmatch(rf"/agent/lists/\d+\?filed={list_id}", filed.headers["location"])
    assert claims_count(db) == 2
    filed_page = agent.get(filed.headers["location"])
    assert "已正式提交" in filed_page.text and "2行已生成申请" in filed_page.text
    new_id = int(filed.headers["location"].split("?")[0].rsplit("/", 1)[1])
    batch = agent.get(f"/agent/claims?batch=L{new_id}")
    assert len(re.findall(r'data-claim="\d+"', batch.text)) == 2 and "卓玛0" in batch.text
    assert not list((tmp_path / agent_pages.CHECKED).iterdir())  # forgotten once filed
    # A second press (a double click, the back button) files nothing.
    again = agent.submit(checked, f"{checked}/file", {})
    assert again.status_code == 422 and "检查结果已失效" in again.text
    assert claims_count(db) == 2
    assert "正式提交" in agent.get("/agent/lists").text  # the recent lists, both kinds


def test_a_list_with_no_valid_row_offers_nothing_to_file(db, c, tmp_path):
    agent = signed_in(db, tmp_path, "agent1")
    template = agent.get("/agent/lists/template.xlsx").content
    bad = [{**row, "身份证号": "123"} for row in rows(1, bad_id=False)]
    r = agent.upload(
        "/agent/lists", "/agent/lists", {"file": ("a.xlsx", filled_template(template, bad), XLSX)}
    )
    page = agent.get(r.headers["location"])
    assert "没有可以提交的行" in page.text and "/file" not in page.text
    filed = agent.submit(r.headers["location"], r.headers["location"] + "/file", {})
    assert filed.status_code == 422 and claims_count(db) == 0


def test_a_checked_list_expires_after_a_day(db, c, tmp_path, clock):
    from datetime import timedelta

    agent = signed_in(db, tmp_path, "agent1")
    template = agent.get("/agent/lists/template.xlsx").content
    r = agent.upload(
        "/agent/lists", "/agent/lists", {"file": ("a.xlsx", filled_template(template, rows(1)), XLSX)}
    )
    checked = r.headers["location"]
    assert "/file" in agent.get(checked).text
    clock.current = clock.now() + timedelta(days=1, minutes=1)
    agent = signed_in(db, tmp_path, "agent1")  # the day-old session has ended too
    assert "/file" not in agent.get(checked).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', agent.get(checked).text).group(1)  # type: ignore[union-attr]
    late = agent.client.post(f"{checked}/file", data={"_csrf_token": token}, follow_redirects=False)
    assert late.status_code == 422 and "检查结果已失效" in late.text and claims_count(db) == 0
    assert not list((tmp_path / agent_pages.CHECKED).iterdir())  # its ID numbers deleted


def test_csv_lists_in_utf8_and_gbk_are_checked(db, c, tmp_path):
    agent = signed_in(db, tmp_path, "agent1")
    for encoding in ("utf-8", "gbk"):
        lines = [
            "姓名,身份证号,行政村代码,帮扶对象类别,补贴类型,务工地点,就业开始日期",
            f"拉姆,{id_number()},533422101001,脱贫人口,有组织劳务输出就业创业服务补助,省外,2026-03-01",
            "格桑,123,533422101001,脱贫人口,有组织劳务输出就业创业服务补助,省外,2026-03-01",
        ]
        content = "\n".join(lines).encode(encoding)
        r = agent.upload(
            "/agent/lists", "/agent/lists", {"file": (f"名单-{encoding}.csv", content, "text/csv")}
        )
        assert r.status_code == 303, r.text
        page = agent.get(r.headers["location"])
        assert "正式提交1行" in page.text, encoding
        assert re.search(r'data-row="3">.*?<b>身份证号</b>', page.text, re.S), encoding


def test_an_unreadable_file_is_refused_on_the_page_in_chinese(db, c, tmp_path):
    agent = signed_in(db, tmp_path, "agent1")
    r = agent.upload("/agent/lists", "/agent/lists", {"file": ("名单.pdf", b"%PDF-1.4", "application/pdf")})
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert re.search(r'class="error" role="alert">[^<]*[\u4e00-\u9fff]', r.text)
    empty = agent.upload("/agent/lists", "/agent/lists", {"file": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422 and "请选择要上传的申报清单文件" in empty.text


def test_another_organisations_lists_are_not_found(db, c, tmp_path):
    owner = signed_in(db, tmp_path, "agent1")
    template = owner.get("/agent/lists/template.xlsx").content
    r = owner.upload(
        "/agent/lists", "/agent/lists", {"file": ("a.xlsx", filled_template(template, rows(1)), XLSX)}
    )
    checked = r.headers["location"]
    other = signed_in(db, tmp_path, "agent2")
    for path in (checked, f"{checked}/result.xlsx", "/agent/lists/999999", "/agent/lists/99999999999"):
        assert other.get(path).status_code == 404, path
    token = re.search(r'name="_csrf_token" value="([^"]+)"', other.get("/agent/lists").text).group(1)  # type: ignore[union-attr]
    stolen = other.client.post(f"{checked}/file", data={"_csrf_token": token}, follow_redirects=False)
    assert stolen.status_code == 404 and claims_count(db) == 0
    assert "a.xlsx" not in other.get("/agent/lists").text
    # The owner can still file it: the other's attempt took nothing.
    assert owner.submit(checked, f"{checked}/file", {}).status_code == 303 and claims_count(db) == 1
