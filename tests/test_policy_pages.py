"""The policy-year pages: the admin copies a year and edits its figures; the case page shows the
claim's own figures; the dashboard tells of next year's missing figures from 1 December."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from store.db import Database
from store.models import PolicyYear
from store.policy import versions as policy
from workflow.rules import limits
from workflow.rules.figures import BUREAU_MARK, GROUPS, LIMITS, groups_text

from .builders import County, county
from .builders_policy import migrant_claim
from .page_support import sign_in

PAGE = "/admin/policy"


@pytest.fixture
def c(db: Database, clock) -> County:
    clock.current = datetime(2026, 11, 20, 10, 0)
    return county(db)


def _form(db: Database, year: int, **changed: str) -> dict[str, object]:
    """What the page's form sends: every figure as shown, with ``changed`` typed over it."""
    with db.sessions() as s:
        view = policy.view(s, year)
    fields: dict[str, object] = {
        f.figure.name: groups_text(f.value)
        if f.figure.kind == GROUPS
        else limits.as_text(f.value)
        if f.figure.kind == LIMITS
        else str(f.value)
        for f in view.figures
    }
    fields["seen_version"] = str(view.version_id)
    return {**fields, **changed}


def _row(html: str, field: str) -> str:
    match = re.search(rf'<tr data-field="{field}".*?</tr>', html, re.S)
    assert match, f"no row for {field}"
    return match.group(0)


def test_the_admin_creates_2027_by_copying_2026_and_edits_a_figure(db, admin):
    browser = sign_in(db, "admin1")
    r = browser.submit(PAGE, f"{PAGE}/copy", {"from_year": "2026", "to_year": "2027"})
    assert (r.status_code, r.headers["location"]) == (303, f"{PAGE}?year=2027&done=copied")
    page = browser.get(r.headers["location"]).text
    assert "2027年度参数（第1版）" in page
    assert "方案规定（300元/人）" in _row(page, "labour_export_out_province")
    assert "元/人" in _row(page, "labour_export_out_province")
    assert "按人每年补助申报单位一次" in _row(page, "labour_export_out_province")
    assert f"「{BUREAU_MARK}」" in _row(page, "migrant_work_reward_amount")

    fields = _form(
        db,
        2027,
        migrant_work_reward_amount="650",
        absorption_wage_rate="12%",
        confirm="migrant_work_reward_amount",
    )
    r = browser.submit(f"{PAGE}?year=2027", f"{PAGE}/2027", fields)
    assert r.status_code == 303
    page = browser.get(r.headers["location"]).text
    assert "2027年度参数（第2版）" in page
    assert 'value="650.00"' in _row(page, "migrant_work_reward_amount")
    assert BUREAU_MARK not in _row(page, "migrant_work_reward_amount")
    assert "县人社局设定（方案为15%）" in _row(page, "absorption_wage_rate")
    changes = re.findall(r'<tr class="change">(.*?)</tr>', page, re.S)
    assert len(changes) == 3  # the copy, and the two figures
    wage = next(row for row in changes if "创业补贴、车间奖补比例" in row)
    assert "管理员" in wage and "<td>15%</td><td>12%</td>" in wage
    with db.sessions() as s:
        assert s.get(PolicyYear, 2026).params["absorption_wage_rate"] == "0.15"


def test_a_bad_figure_is_marked_on_the_page_and_nothing_is_saved(db, admin):
    browser = sign_in(db, "admin1")
    fields = _form(db, 2026, training_living_per_day="-20", absorption_wage_rate="1.5")
    r = browser.submit(PAGE, f"{PAGE}/2026", fields)
    assert r.status_code == 422
    row = _row(r.text, "training_living_per_day")
    assert 'aria-invalid="true"' in row and "“培训生活费补贴”不能为负数" in row
    assert "须在0到1之间" in _row(r.text, "absorption_wage_rate")
    with db.sessions() as s:
        assert policy.view(s, 2026).version_no == 1


def test_only_the_admin_opens_the_policy_pages(db, c, admin):
    assert sign_in(db, "hr1").get(PAGE).status_code == 403
    assert 'href="/admin/policy"' in sign_in(db, "admin1").get("/admin/settings").text


@pytest.mark.parametrize(
    ("now", "told"), [(datetime(2026, 11, 30, 17, 0), False), (datetime(2026, 12, 1, 8, 0), True)]
)
def test_the_dashboard_and_the_admin_are_told_of_next_years_missing_figures_from_1_december(
    db, clock, admin, now, told
):
    clock.current = now
    notice = 'data-missing-year="2027"'
    assert (notice in sign_in(db, "hr1").get("/dashboard").text) is told
    assert (notice in sign_in(db, "admin1").get(PAGE).text) is told


def test_the_notice_goes_once_the_year_is_set(db, clock, admin):
    clock.current = datetime(2026, 12, 1, 8, 0)
    policy.copy_year(db, admin, 2026, 2027)
    assert "data-missing-year" not in sign_in(db, "hr1").get("/dashboard").text


def test_the_case_page_marks_the_bureaus_figure_until_it_is_confirmed(db, c, admin):
    claim = migrant_claim(db, c)
    hr = sign_in(db, "hr1")
    figures = re.search(r'<ul class="figures">.*?</ul>', hr.get(f"/claims/{claim.id}").text, re.S)
    assert figures and "2026年度参数第1版" in hr.get(f"/claims/{claim.id}").text
    item = re.search(r'data-field="migrant_work_reward_amount".*?</li>', figures.group(0), re.S)
    assert item and "500.00元" in item.group(0) and f"「{BUREAU_MARK}」" in item.group(0)
    assert "（方案规定）" in figures.group(0)  # the stable-employment months are the plan's
    policy.set_figures(db, admin, 2026, {}, confirm=["migrant_work_reward_amount"])
    page = hr.get(f"/claims/{claim.id}").text
    assert BUREAU_MARK not in page and "（县人社局已确认）" in page
