"""Who counts as labour force (capacity, working age from the ID's birth date, the override),
and employment as months: each case built here with explicit dates and an explicit clock."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.contracts.lifecycle import terminate_contract
from store.dashboard.figures import Dashboard, dashboard
from store.dashboard.scope import Scope
from store.db import Database
from store.people.labour import set_baseline, set_labour_status, set_working_age
from workflow.errors import TransitionRefused, ValidationFailed
from workflow.labour import (
    WorkingAge,
    age_on,
    birth_window,
    check_working_age,
    claim_span,
    in_labour_force,
    month_index,
    of_working_age,
)
from workflow.lists.rows import read_row

from .builders import add_admin, county, id_number
from .builders_labour import born, export_from
from .builders_posts import active_contract
from .page_support import sign_in

ROOT = Path(__file__).resolve().parents[1]
NOV_28 = datetime(2026, 11, 28, 10, 0)
DEFAULT = WorkingAge()


def figures(db: Database, at: datetime, scope: Scope = Scope(None)) -> Dashboard:
    with db.sessions() as s:
        return dashboard(s, scope, at, db.vault)


# --------------------------------------------------------------------------------------
# Working age: completed years, both ends included
# --------------------------------------------------------------------------------------


def test_working_age_runs_from_the_16th_birthday_to_the_day_before_the_61st() -> None:
    today = date(2026, 11, 28)
    assert of_working_age(date(2010, 11, 28), today, DEFAULT)  # 16 today
    assert not of_working_age(date(2010, 11, 29), today, DEFAULT)  # 16 tomorrow
    assert of_working_age(date(1965, 11, 29), today, DEFAULT)  # 60, 61 tomorrow
    assert not of_working_age(date(1965, 11, 28), today, DEFAULT)  # 61 today
    # Born on 29 February: a year older on 1 March of a common year.
    assert age_on(date(2008, 2, 29), date(2024, 2, 28)) == 15
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16
    assert age_on(date(2009, 2, 28), date(2025, 2, 28)) == 16
    assert age_on(date(2008, 2, 29), date(2025, 2, 28)) == 16


def test_children_the_old_and_people_without_labour_are_not_labour_force_unless_marked() -> None:
    today = date(2026, 11, 28)
    assert in_labour_force("weak", date(1990, 1, 1), False, today, DEFAULT)
    assert not in_labour_force("none", date(1990, 1, 1), False, today, DEFAULT)
    assert not in_labour_force("none", date(1990, 1, 1), True, today, DEFAULT)
    assert not in_labour_force("full", date(2012, 5, 1), False, today, DEFAULT)
    assert in_labour_force("full", date(2012, 5, 1), True, today, DEFAULT)
    assert not in_labour_force("half", date(1950, 5, 1), False, today, DEFAULT)
    assert in_labour_force("half", date(1950, 5, 1), True, today, DEFAULT)
    assert in_labour_force("full", date(1962, 5, 1), False, today, WorkingAge(16, 65))


@given(
    birth=st.dates(date(1900, 1, 1), date(2030, 12, 31)),
    day=st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    low=st.integers(10, 40),
    span=st.integers(0, 40),
)
def test_the_birth_window_the_sql_compares_agrees_with_the_age(
    birth: date, day: date, low: int, span: int
) -> None:
    ages = WorkingAge(low, low + span)
    born_after, born_by = birth_window(day, ages)
    assert (born_after < birth <= born_by) == of_working_age(birth, day, ages)


def test_the_admin_range_is_checked_and_names_the_field() -> None:
    assert check_working_age("18", 55) == WorkingAge(18, 55)
    for low, high, field in (
        ("sixteen", 60, "min_age"),
        (16, 600, "max_age"),
        (61, 60, "min_age"),
        (16, "", "max_age"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            check_working_age(low, high)
        assert refused.value.details["field"] == field


def test_a_claim_from_the_first_covers_exactly_its_months_and_from_mid_month_one_more() -> None:
    assert claim_span(date(2026, 3, 1), 3).last == month_index(date(2026, 5, 1))
    assert claim_span(date(2026, 3, 15), 3).last == month_index(date(2026, 6, 1))
    assert claim_span(date(2026, 1, 31), 1).last == month_index(date(2026, 2, 1))


# --------------------------------------------------------------------------------------
# The dashboard's labour force
# --------------------------------------------------------------------------------------


def test_the_dashboard_counts_labour_force_by_capacity_and_age_on_the_clocks_day(db, clock) -> None:
    c = county(db)
    clock.current = datetime(2026, 1, 5, 9, 0)
    cases = {
        "sixteen today": born(db, c.village, date(2010, 11, 28)),
        "sixteen tomorrow": born(db, c.village, date(2010, 11, 29)),
        "sixty": born(db, c.village, date(1965, 11, 29), "weak"),
        "sixty-one today": born(db, c.village, date(1965, 11, 28)),
        "no labour": born(db, c.village, date(1990, 6, 1), "none"),
        "no labour, marked": born(db, c.village, date(1990, 6, 1), "none", override=True),
        "old, marked": born(db, c.village, date(1950, 6, 1), "half", override=True),
        "old": born(db, c.village, date(1950, 6, 1), "half"),
    }
    assert len(cases) == 8
    today = figures(db, NOV_28)
    # Sixteen today (full), sixty (weak), the old person marked (half): 3 of 8.
    assert {r.capacity: r.labour for r in today.labour} == {"full": 1, "weak": 1, "half": 1}
    assert today.registered == 8
    # A day later one turns 16 and one turns 61.
    tomorrow = figures(db, NOV_28 + timedelta(days=1))
    assert {r.capacity: r.labour for r in tomorrow.labour} == {"full": 2, "half": 1}
    # The admin narrows the range to 18–55: only the marked old person is left.
    boss = add_admin(db)
    with pytest.raises(TransitionRefused):
        set_working_age(db, c.hr, 18, 55)
    set_working_age(db, boss, 18, 55)
    narrowed = figures(db, NOV_28)
    assert narrowed.labour_total("labour") == 1 and narrowed.ages == WorkingAge(18, 55)


# --------------------------------------------------------------------------------------
# Employment as months
# --------------------------------------------------------------------------------------


@pytest.fixture
def year_of_work(db, clock):
    """Five relocated people of working age, each employed for different months of 2026:
    A: approved claim, work from 15 March (3 months: March–June);
    B: approved claim, work from 1 August (August–October);
    C: post contract 1 Feb–31 Dec, terminated on 20 August (February–August);
    D: post contract 1 Oct 2026–30 Sep 2027, active (October onwards);
    E: claim for work from 1 August, still being checked (pending for August–October, never
       in the rates).
    A lives with an old father without labour; D with a 14-year-old."""
    c = county(db)
    clock.current = datetime(2026, 1, 5, 9, 0)
    people = {k: born(db, c.village, date(1985, 4, 1), household=f"H{k}", name=f"人员{k}") for k in "ABCDE"}
    people["A's father"] = born(db, c.village, date(1948, 4, 1), "none", household="HA", name="老父亲")
    people["D's son"] = born(db, c.village, date(2012, 4, 1), household="HD", name="小儿子")
    clock.current = datetime(2026, 1, 20, 10, 0)
    ended = active_contract(db, c, date(2026, 2, 1), date(2026, 12, 31), person_id=people["C"])
    export_from(db, c, clock, people["A"], date(2026, 3, 15), datetime(2026, 7, 1, 10, 0))
    clock.current = datetime(2026, 8, 20, 10, 0)
    terminate_contract(db, c.hr2, ended.id, "本人申请退岗", terminated_on=date(2026, 8, 20))
    clock.current = datetime(2026, 9, 20, 10, 0)
    active_contract(db, c, date(2026, 10, 1), date(2027, 9, 30), person_id=people["D"])
    export_from(db, c, clock, people["B"], date(2026, 8, 1), datetime(2026, 11, 2, 10, 0))
    export_from(db, c, clock, people["E"], date(2026, 8, 1), datetime(2026, 11, 2, 11, 0), approve=False)
    clock.current = NOV_28
    return c, people


def test_an_approved_claim_or_contract_counts_for_the_months_its_facts_cover(db, year_of_work):
    d = figures(db, NOV_28)
    employed = {m.month: m.employed for m in d.trend}
    assert employed == {
        "2025-12": 0,
        "2026-01": 0,
        "2026-02": 1,  # C
        "2026-03": 2,
        "2026-04": 2,
        "2026-05": 2,
        "2026-06": 2,  # A, C
        "2026-07": 1,  # C
        "2026-08": 2,  # B, C (terminated on the 20th)
        "2026-09": 1,  # B
        "2026-10": 2,  # B, D
        "2026-11": 1,  # D only: A's and B's months are over
    }
    assert all(m.labour == 5 for m in d.trend)  # the father and the son are not labour force
    # E's pending claim is for August–October: not pending employment in November either.
    assert (d.labour_total("confirmed"), d.labour_total("pending")) == (1, 0)
    october = figures(db, datetime(2026, 10, 30, 10, 0))
    assert (october.labour_total("confirmed"), october.labour_total("pending")) == (2, 1)


def test_relocated_households_with_labour_and_nobody_employed_now_are_listed(db, year_of_work):
    _c, _people = year_of_work
    d = figures(db, NOV_28)
    needy = {h.household_no: h for h in d.needy_households}
    # D is on a post now; A, B, C and E (pending) households have labour and nobody employed.
    assert set(needy) == {"HA", "HB", "HC", "HE"}
    assert needy["HA"].labour == 1 and needy["HA"].members == 2
    assert needy["HA"].labour_names.startswith("人员A（**************")
    assert "老父亲" not in needy["HA"].labour_names
    browser = sign_in(db, "hr1")
    html = browser.get("/dashboard").text
    row = re.search(r'<td class="mono"[^>]*>HA</td><td>(.*?)</td><td>(.*?)</td>', html)
    assert row is not None and row.group(1) == "阿东村"
    assert re.fullmatch(r"人员A（\*{14}[0-9X]{4}）", row.group(2))
    assert "HD" not in re.findall(r'<td class="mono"[^>]*>(H\w)</td>', html)
    assert "HA" in re.findall(r'<td class="mono"[^>]*>(H\w)</td>', html)


def test_the_dashboard_sets_employment_against_the_plans_baseline_and_the_register(db, year_of_work):
    _c, _people = year_of_work
    boss = add_admin(db)
    browser = sign_in(db, "hr1")
    html = browser.get("/dashboard").text
    # The migration seeded 2026 with the plan's 4,006: 1 employed of 4,006 and of 5 registered.
    assert "1 / 4,006 人（2026年规划基数）" in html and "1 / 5 人（本系统登记）" in html
    assert "20.0%" in html and "12,344" in html
    set_baseline(db, boss, 2026, 40, 10)
    html = browser.get("/dashboard").text
    assert "1 / 10 人（2026年规划基数）" in html and "10.0%" in html and "4,006" not in html
    # A village verifier's page does not set a village against the county's baseline.
    village_page = sign_in(db, "village1").get("/dashboard").text
    assert "规划基数为全县数据" in village_page and "1 / 10 人" not in village_page


def test_a_year_without_a_baseline_says_so(db, clock):
    county(db)
    clock.current = datetime(2027, 1, 4, 9, 0)
    html = sign_in(db, "hr1").get("/dashboard").text
    assert "2027年的规划基数尚未设定" in html and "本年度规划基数未设定" in html


def test_no_plan_figure_is_written_in_page_or_dashboard_code() -> None:
    sources = [
        *(ROOT / "web").rglob("*.py"),
        *(ROOT / "templates").rglob("*.html"),
        *(ROOT / "store" / "dashboard").glob("*.py"),
    ]
    found = [
        str(p.relative_to(ROOT))
        for p in sources
        if re.search(r"4,?006|12,?344", p.read_text(encoding="utf-8"))
    ]
    assert found == []


# --------------------------------------------------------------------------------------
# The admin's page, the person page, the API and the lists
# --------------------------------------------------------------------------------------


def test_only_the_admin_sets_the_baseline_and_the_working_age_on_their_page(db, clock) -> None:
    county(db)
    add_admin(db)
    assert sign_in(db, "hr1").get("/admin/baseline/").status_code == 403
    browser = sign_in(db, "admin1")
    page = browser.get("/admin/baseline/")
    assert page.status_code == 200 and "12,344" in page.text and "4,006" in page.text
    r = browser.submit(
        "/admin/baseline/",
        "/admin/baseline/",
        {"year": "2027", "low_income_people": "12,000", "labour_force": "3900"},
    )
    assert r.status_code == 303
    assert 'data-year="2027"' in browser.get("/admin/baseline/").text
    refused = browser.submit(
        "/admin/baseline/",
        "/admin/baseline/",
        {"year": "2028", "low_income_people": "100", "labour_force": "101"},
    )
    assert refused.status_code == 422 and "劳动力人数不能多于低收入人口人数" in refused.text
    assert 'data-year="2028"' not in browser.get("/admin/baseline/").text
    r = browser.submit("/admin/baseline/", "/admin/baseline/ages", {"min_age": "18", "max_age": "59"})
    assert r.status_code == 303 and "18–59周岁" in browser.get("/admin/baseline/").text
    refused = browser.submit("/admin/baseline/", "/admin/baseline/ages", {"min_age": "18", "max_age": "600"})
    assert refused.status_code == 422 and "劳动年龄上限" in refused.text


def test_staff_set_a_persons_capacity_and_override_on_the_person_page(db, clock) -> None:
    c = county(db)
    old = born(db, c.village, date(1950, 6, 1), "weak", name="老阿妈")
    hr = sign_in(db, "hr1")
    page = hr.get(f"/persons/{old}")
    assert page.status_code == 200 and 'data-labour-force="no"' in page.text
    assert re.search(r"\*{14}[0-9X]{4}", page.text) and "19500601" not in page.text
    r = hr.submit(
        f"/persons/{old}", f"/persons/{old}/labour", {"labour_capacity": "weak", "labour_force_override": "1"}
    )
    assert r.status_code == 303
    assert 'data-labour-force="yes"' in hr.get(f"/persons/{old}").text
    # The person's own village verifier may mark them as without labour; another village's
    # verifier does not find them.
    own = sign_in(db, "village1")
    r = own.submit(f"/persons/{old}", f"/persons/{old}/labour", {"labour_capacity": "none"})
    assert r.status_code == 303
    assert 'data-labour-force="no"' in own.get(f"/persons/{old}").text
    assert sign_in(db, "village2").get(f"/persons/{old}").status_code == 404
    with pytest.raises(TransitionRefused):
        set_labour_status(db, c.finance, old, "full", False)
    with pytest.raises(ValidationFailed):
        set_labour_status(db, c.hr, old, "strong", False)


def test_an_agent_registers_a_person_without_labour_or_marked_as_labour_force(db, tmp_path):
    from .api_support import api_client

    with api_client(db, tmp_path) as api:
        for number, capacity, override in (
            (id_number("19500101"), "none", False),
            (id_number("19500102"), "weak", True),
        ):
            body = {
                "name": "老阿妈",
                "id_number": number,
                "village_code": "533422101001",
                "labour_capacity": capacity,
                "labour_force_override": override,
            }
            r = api.post("/api/v1/persons", json=body)
            assert r.status_code == 201, r.text
            assert (r.json()["labour_capacity"], r.json()["labour_force_override"]) == (capacity, override)
        r = api.post(
            "/api/v1/persons", json={**body, "id_number": id_number("19500103"), "labour_capacity": "strong"}
        )
        # Refused by the API's schema (the document lists the choices: full, weak, none).
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "labour_capacity"


def test_a_list_row_can_say_without_labour_and_counted_as_labour_force() -> None:
    row = read_row(
        2,
        {
            "name": "老阿妈",
            "id_number": id_number("19500101"),
            "subsidy_type": "培训生活费补贴、交通费补贴",
            "labour_capacity": "无劳动力",
            "labour_force_override": "是",
        },
    )
    assert not isinstance(row, tuple)
    assert (row.labour_capacity, row.labour_force_override) == ("none", True)
