"""A labour broker's round trip in a real browser (Playwright driving Debian's Chromium against a
live server): sign in, download the list template, fill it in as Excel would (openpyxl), upload
it, read the check, file it, find the claims, open one, attach evidence, read its state; a
returned claim resubmitted with corrected facts; the same pages on a phone; and the API browser
(/schema) with every request to the outside world refused."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from store.db import Database

from .browser_support import (
    DESKTOP,
    PHONE,
    SHOTS,
    csp_violations,
    needs_chromium,
    new_page,
    no_sideways_scroll,
    shot,
    sign_in,
    watch_csp,
)
from .builders import claim_in, county, id_number
from .live_server import live_server
from .portal_support import filled_template

pytestmark = needs_chromium
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def server():
    """A county whose broker (agent1) has a claim the village returned for correction."""
    made: dict[str, int] = {}

    def prepare(db: Database) -> None:
        c = county(db)
        made["returned"] = claim_in(db, c, "returned").id
        made["to_withdraw"] = claim_in(db, c, "returned").id

    with live_server(prepare=prepare) as live:
        live.returned = made["returned"]  # type: ignore[attr-defined]
        live.to_withdraw = made["to_withdraw"]  # type: ignore[attr-defined]
        yield live


def signed_in_agent(browser, server, viewport=DESKTOP):
    page = new_page(browser, viewport, accept_downloads=True)
    page.on("dialog", lambda dialog: dialog.accept())  # the withdraw button asks first
    return sign_in(page, server, "agent1", start="/", lands="**/agent/claims")


def test_a_broker_files_a_list_and_follows_a_claim_in_the_browser(server, browser, tmp_path):
    page = signed_in_agent(browser, server)
    assert "本单位的补贴申请" in page.inner_text("h1")
    shot(page, "agent-claims-desktop")
    page.click("nav >> text=申报清单")
    page.wait_for_url("**/agent/lists")
    with page.expect_download() as got:
        page.click("a.button >> text=下载清单模板")
    template = Path(got.value.path()).read_bytes()
    rows = [
        {
            "姓名": name,
            "身份证号": id_number(),
            "行政村代码": "533422101001",
            "帮扶对象类别": "脱贫人口",
            "补贴类型": "有组织劳务输出就业创业服务补助",
            "务工地点": "省外",
            "就业开始日期": date(2026, 3, 1),
        }
        for name in ("扎西", "拉姆")
    ]
    rows.append({**rows[0], "姓名": "格桑", "身份证号": "533422199001011234"})  # a wrong check digit
    filled = tmp_path / "十一月申报清单.xlsx"
    filled.write_bytes(filled_template(template, rows))
    page.set_input_files("input[name=file]", str(filled))
    page.click("button >> text=上传并检查")
    page.wait_for_url("**/agent/lists/*")
    assert "检查结果" in page.inner_text("h1")
    refused = page.inner_text("tr[data-row='4']")
    assert "未通过" in refused and "身份证号" in refused and "校验位不正确" in refused
    shot(page, "agent-list-checked-desktop")
    with page.expect_download() as got:
        page.click("text=下载处理结果")
    from openpyxl import load_workbook

    result = load_workbook(io.BytesIO(Path(got.value.path()).read_bytes())).worksheets[0]
    assert any("校验位不正确" in str(v) for row in result.iter_rows(values_only=True) for v in row)
    page.click("button >> text=正式提交2行")
    page.wait_for_url("**/agent/lists/*?filed=*")
    assert "2行已生成申请" in page.inner_text("[role=status]")
    shot(page, "agent-list-filed-desktop")
    page.click("[role=status] >> text=查看本批申请")
    page.wait_for_url("**/agent/claims?batch=*")
    assert page.locator("tr[data-claim]").count() == 2
    page.click("tr[data-claim] >> nth=0 >> a >> nth=0")
    page.wait_for_url("**/agent/claims/*")
    assert "已提交" in page.inner_text("h1")
    page.select_option("select[name=kind]", "contract")
    evidence = tmp_path / "劳动合同.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("#evidence input[name=file]", str(evidence))
    page.click("#evidence button")
    page.wait_for_selector("text=证明材料已上传")
    assert "劳动合同.pdf" in page.inner_text("#evidence")
    assert "已提交" in page.inner_text("h1") and "待村级核实" in page.inner_text("main")
    shot(page, "agent-claim-desktop")
    page.context.close()


def test_a_returned_claim_is_corrected_and_resubmitted_in_the_browser(server, browser):
    page = signed_in_agent(browser, server)
    page.select_option("select[name=status]", "returned")
    page.click("form.filters button")
    page.wait_for_url("**status=returned**")
    page.click(f"a[href='/agent/claims/{server.returned}'] >> nth=0")
    page.wait_for_url(f"**/agent/claims/{server.returned}")
    assert page.input_value("input[name=fact_employment_start]") == "2026-03-01"  # as filed
    assert "请补充材料" in page.inner_text("main")  # the village's reason
    page.select_option("select[name=fact_destination]", "in_province")
    page.fill("input[name=fact_employment_start]", "")  # the date wiped by mistake
    page.click("button >> text=重新提交")
    page.wait_for_selector("[role=alert]")
    assert "缺少“就业开始日期”" in page.inner_text("[role=alert]")
    assert "缺少“就业开始日期”" in page.inner_text("#err-employment_start")
    assert page.input_value("select[name=fact_destination]") == "in_province"  # kept as typed
    shot(page, "agent-resubmit-refused-desktop")
    page.fill("input[name=fact_employment_start]", "2026-04-01")
    page.click("button >> text=重新提交")
    page.wait_for_selector("text=已重新提交")
    assert "已提交" in page.inner_text("h1") and "200.00" in page.inner_text(".amount")
    shot(page, "agent-resubmitted-desktop")
    page.context.close()


def test_the_brokers_pages_work_on_a_phone(server, browser):
    page = signed_in_agent(browser, server, PHONE)
    no_sideways_scroll(page)
    shot(page, "agent-claims-phone")
    page.goto(f"{server.url}/agent/claims/{server.returned}")
    no_sideways_scroll(page)
    shot(page, "agent-claim-phone")
    page.goto(f"{server.url}/agent/lists")
    no_sideways_scroll(page)
    shot(page, "agent-lists-phone")
    last = page.locator("table.lists a").first
    if last.count():
        last.click()
        page.wait_for_url("**/agent/lists/*")
        no_sideways_scroll(page)
        shot(page, "agent-list-phone")
    page.context.close()


@pytest.mark.parametrize(
    ("path", "shown"), [("/schema", ".swagger-ui .info"), ("/schema/scalar", "text=申报主体")]
)
def test_the_api_browser_works_with_no_internet(server, browser, path, shown):
    context = browser.new_context(viewport={"width": DESKTOP[0], "height": DESKTOP[1]})
    outside: list[str] = []

    def only_this_server(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        if url.startswith(server.url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    watch_csp(page)
    page.goto(f"{server.url}{path}")
    page.wait_for_selector(shown, timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert "Fuzhi" in page.inner_text("body")
    assert outside == [], outside
    # Its own policy (web/security_headers.py SCHEMA_CSP). Scalar's bundled Zod probes once whether
    # it may compile validators (`try { Function("") }`) and, refused, validates without: that
    # probe is the one violation allowed.
    probe = "CSP violation: script-src eval"
    assert [
        v for v in csp_violations(page) if not (v.startswith(probe) and "scalar/standalone.js" in v)
    ] == []
    SHOTS.mkdir(parents=True, exist_ok=True)  # the first screen only: the whole document is long
    page.screenshot(path=str(SHOTS / f"agent-schema-{'scalar' if 'scalar' in path else 'swagger'}.png"))
    context.close()


def test_withdrawing_asks_first_and_a_no_keeps_the_claim(server, browser):
    """The question comes from web/static/forms.js (data-confirm): no inline handler under the CSP."""
    page = new_page(browser, DESKTOP)
    sign_in(page, server, "agent1", start="/", lands="**/agent/claims")
    asked: list[str] = []
    answer = {"yes": False}

    def reply(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept() if answer["yes"] else dialog.dismiss()

    page.on("dialog", reply)
    page.goto(f"{server.url}/agent/claims/{server.to_withdraw}")
    page.click("form.withdraw button")
    page.wait_for_timeout(300)
    assert asked == ["撤回后该申请不再办理，确定撤回吗？"]
    assert page.url.endswith(f"/agent/claims/{server.to_withdraw}") and "申请已撤回" not in page.inner_text(
        "main"
    )
    answer["yes"] = True
    page.click("form.withdraw button")
    page.wait_for_selector("text=申请已撤回")
    assert len(asked) == 2 and csp_violations(page) == []
    page.context.close()
