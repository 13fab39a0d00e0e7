"""The search page's Excel export (查找 → 导出Excel): the page's search in the user's scope, every
page of its claims, contracts and persons (a sheet each), what was searched for in the title rows
(a whole ID number only masked), ID numbers masked, no cell a formula, and a whole ID number
never in a URL: the page's link carries only ``?person=`` for it, as the page's own URL does."""

from __future__ import annotations

import io
from datetime import date
from html import unescape

import pytest
from openpyxl import load_workbook

from store.models import Person
from store.search import finder
from store.transitions import transition
from tests.builders import County, export_claim, id_number, person
from tests.builders_posts import active_contract
from tests.page_support import sign_in
from tests.test_exports import HOSTILE, column, no_formula_anywhere, table, xml_of
from tests.test_search import registered

pytestmark = pytest.mark.usefixtures("on_28_november_2026")
GESANG = "%E6%A0%BC%E6%A1%91"  # 格桑, as a URL carries it


def full_id(db, person_id: int) -> str:
    with db.sessions() as s:
        return db.vault.decrypt(s.get(Person, person_id).id_number_enc)


def export_href(page_text: str) -> str:
    """The page's 导出Excel link."""
    start = page_text.index('<p class="export"><a href="') + len('<p class="export"><a href="')
    return unescape(page_text[start : page_text.index('"', start)])


def test_a_verifiers_export_holds_every_page_of_their_own_villages_matches_masked(db, c: County) -> None:
    mine = [person(db, c.village, name=f"格桑{i:02d}") for i in range(23)]  # more than a page (20)
    claims = [export_claim(db, c, p).id for p in mine]
    transition(db, "claim", claims[0], "verify", c.verifier)  # any state is found
    contract = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 31), name="格桑卓玛")
    elsewhere = person(db, c.other_village, name="格桑次仁")
    theirs = export_claim(db, c, elsewhere).id
    unmatched = export_claim(db, c, person(db, c.village, name="卓玛")).id

    r = sign_in(db, "village1").get(f"/exports/search?q={GESANG}&kind=claims")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"] and r.headers["cache-control"] == "no-store"
    no_formula_anywhere(r.content)
    assert load_workbook(io.BytesIO(r.content)).sheetnames == ["补贴申请", "公益性岗位协议", "人员"]
    titles, rows, data = table(r.content, "补贴申请")
    assert titles[0] == "查找结果：补贴申请" and "范围：阿东村" in titles
    assert "查找：姓名以“格桑”开头的人员，或名称含“格桑”的申报单位" in titles
    ids = column(rows, "编号")
    assert ids == sorted(claims, reverse=True)  # every page, newest first; not theirs, not 卓玛's
    assert theirs not in ids and unmatched not in ids
    assert set(column(rows, "行政村")) == {"阿东村"}
    line = dict(zip(rows[0], rows[1 + ids.index(claims[0])], strict=True))
    assert (line["状态"], line["办到哪一步"]) == ("村级已核实", "等待人社局审核")
    assert column(rows, "身份证号")[ids.index(claims[0])] == "*" * 14 + full_id(db, mine[0])[-4:]
    assert {(d.data_type, d.number_format) for d in [r[5] for r in data]} == {("n", "0.00")}
    _, contracts, _ = table(r.content, "公益性岗位协议")
    assert column(contracts, "编号") == [contract.id] and column(contracts, "岗位") == ["保洁员"]
    _, persons, _ = table(r.content, "人员")
    assert len(column(persons, "姓名")) == 24 and "格桑次仁" not in column(persons, "姓名")
    xml = xml_of(r.content)
    assert not [p for p in [*mine, elsewhere] if full_id(db, p) in xml]

    county = sign_in(db, "hr1").get(f"/exports/search?q={GESANG}&kind=persons")
    assert load_workbook(io.BytesIO(county.content)).sheetnames[0] == "人员"  # the open tab first
    titles, rows, _ = table(county.content, "补贴申请")
    assert theirs in column(rows, "编号") and "范围：全县" in titles


def test_the_export_keeps_the_pages_query_and_refuses_what_the_page_refuses(db, c: County) -> None:
    claim = export_claim(db, c, person(db, c.village, name="格桑")).id
    export_claim(db, c, person(db, c.village, name="卓玛"))
    hr = sign_in(db, "hr1")
    _, rows, _ = table(hr.get(f"/exports/search?q={claim}&after=1&before=9").content, "补贴申请")
    assert claim in column(rows, "编号")  # by its number; the page's cursor ignored
    titles, rows, _ = table(hr.get("/exports/search?q=%E6%A0%BC").content, "补贴申请")  # 格: one character
    assert column(rows, "编号") == [] and any("至少输入两个字" in t and "未导出" in t for t in titles)
    titles, rows, _ = table(hr.get("/exports/search").content, "人员")
    assert column(rows, "姓名") == [] and "查找：未输入查找内容（未导出任何记录）" in titles


def test_a_name_that_reads_like_a_formula_comes_back_as_text(db, c: County) -> None:
    hostile = person(db, c.village, name=HOSTILE[0])
    claim = export_claim(db, c, hostile).id
    r = sign_in(db, "hr1").get(f"/exports/search?person={hostile}")
    no_formula_anywhere(r.content)
    _, rows, data = table(r.content, "补贴申请")
    assert column(rows, "编号") == [claim] and column(rows, "姓名") == ["'" + HOSTILE[0]]
    name = data[0][1]
    assert (name.data_type, name.quotePrefix, name.value) == ("s", True, "'" + HOSTILE[0])
    _, persons, cells = table(r.content, "人员")
    assert column(persons, "姓名") == ["'" + HOSTILE[0]] and cells[0][0].data_type == "s"


def test_a_whole_id_number_never_travels_in_the_export_link_or_the_file(db, c: County) -> None:
    pid, number = registered(db, c.village, "拉姆")
    claim = export_claim(db, c, pid).id
    hr = sign_in(db, "hr1")
    location = hr.submit("/search", "/search", {"q": number}).headers["location"]
    page = hr.get(location).text
    link = export_href(page)
    assert link == f"/exports/search?kind=claims&person={pid}" and number not in page
    r = hr.get(link)
    titles, rows, _ = table(r.content, "补贴申请")
    assert column(rows, "编号") == [claim]
    assert f"查找：拉姆（身份证号 {'*' * 14 + number[-4:]}）的全部记录" in titles
    assert number not in xml_of(r.content) and number not in r.headers["content-disposition"]

    typed = hr.get(f"/exports/search?q={number}")  # typed into a URL by hand: refused, not echoed
    titles, rows, _ = table(typed.content, "补贴申请")
    assert column(rows, "编号") == [] and any("不会出现在网址中" in t for t in titles)
    assert number not in xml_of(typed.content) and number[-4:] not in "".join(titles)
    assert sign_in(db, "village2").get(link).status_code == 404  # another village's person


def test_the_search_page_links_to_its_export_only_with_what_its_url_carries(db, c: County) -> None:
    hr = sign_in(db, "hr1")
    assert export_href(hr.get(f"/search?q={GESANG}&kind=persons&after=7").text) == (
        f"/exports/search?kind=persons&q={GESANG}"
    )
    assert 'class="export"' not in hr.get("/search").text  # nothing searched, nothing to export
    refused = hr.get(f"/search?q={id_number()}").text
    assert 'class="export"' not in refused and "/exports/search" not in refused


def test_an_export_longer_than_the_cap_says_so(db, c: County, monkeypatch) -> None:
    from store.exports import search_sheets

    monkeypatch.setattr(search_sheets, "EXPORT_CAP", 3)
    monkeypatch.setattr(finder, "READ_AT_ONCE", 2)  # lines read a few ids at a time, in order
    made = [export_claim(db, c, person(db, c.village, name=f"格桑{i}")).id for i in range(5)]
    titles, rows, _ = table(sign_in(db, "hr1").get(f"/exports/search?q={GESANG}").content, "补贴申请")
    assert column(rows, "编号") == sorted(made, reverse=True)[:3]
    assert any("只导出了前3条" in t for t in titles)
