"""The dashboard: its figures against counts made independently in Python from the rows, its
scope (a village verifier sees their villages only), its page and its SVG charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from demo import NO_GRADUATE_POST, TOWNSHIPS, demo_password
from store.dashboard.figures import Dashboard, dashboard
from store.dashboard.scope import Scope, scope_for
from store.db import Database
from store.models import (
    Claim,
    ClaimHistory,
    Contract,
    ContractHistory,
    Person,
    Post,
    User,
    UserVillage,
    Village,
)
from store.transitions import transition
from web.charts import Part, Row, Series, hbar_chart, money, progress_bar, text_width, vbar_chart
from workflow.roles import Actor, Role
from workflow.states import ClaimState

from .builders import county, export_claim, person
from .builders_payouts import pay_through_batch
from .page_support import sign_in

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
# Spelled out here rather than imported, so a change to the page's definition shows up here.
EMPLOYMENT = {
    "labour_export_service",
    "transport_subsidy",
    "migrant_work_reward",
    "employment_base_reward",
    "startup_subsidy",
    "workshop_reward",
    "work_for_training",
}
DEAD = {"rejected", "withdrawn", "expired"}
APPROVED = {"hr_reviewed", "finance_paid"}
ZERO = Decimal("0.00")


# --------------------------------------------------------------------------------------
# The same figures, counted in Python from every row
# --------------------------------------------------------------------------------------


@dataclass
class Expected:
    by_state: Counter[str]
    by_type: Counter[str]
    amount_by_type_state: dict[tuple[str, str], Decimal]
    approved_by_month: dict[str, Decimal]
    paid_by_month: dict[str, Decimal]
    approved_by_village: dict[int, Decimal]
    paid_by_village: dict[int, Decimal]
    overdue: Counter[tuple[str, int, str]]
    ending: list[int]
    labour: int
    confirmed: int
    employed: int
    trained: int
    households: int
    households_with_labour: int
    needy_households: set[str]
    villages: set[int]
    without_graduate_post: set[int]
    graduates: int
    graduates_employed: int
    graduates_unemployed_long: int


def is_labour(p: Person, today: date) -> bool:
    """Full, weak or half labour, aged 16 to 60 (completed years) today, or marked so."""
    age = relativedelta(today, p.birth_date).years
    return p.labour_capacity in ("full", "weak", "half") and (p.labour_force_override or 16 <= age <= 60)


def employed_months(c: Claim) -> set[tuple[int, int]]:
    """The months an employment claim covers: from its employment start for the months its
    rule needs (3 stable, 1 absorbed, the training months), or the training months before the
    month it was filed."""
    if c.subsidy_type not in EMPLOYMENT:
        return set()
    need = {"startup_subsidy": 1, "workshop_reward": 1}.get(c.subsidy_type, 3)
    if c.subsidy_type == "work_for_training":
        need = int(c.facts["training_months"])
    if "employment_start" in c.facts:
        start = date.fromisoformat(c.facts["employment_start"])
        last = start + relativedelta(months=need) - timedelta(days=1)
    else:
        last = c.created_at.date().replace(day=1) - timedelta(days=1)
        start = last.replace(day=1) - relativedelta(months=need - 1)
    return months_between(start, last)


def contract_months(k: Contract, terminated: date | None) -> set[tuple[int, int]]:
    return months_between(k.start_date, terminated or k.end_date)


def months_between(first: date, last: date) -> set[tuple[int, int]]:
    found, day = set(), first.replace(day=1)
    while day <= last:
        found.add((day.year, day.month))
        day += relativedelta(months=1)
    return found


def expected(db: Database, villages: set[int] | None = None) -> Expected:
    now = db.clock.now()
    today = now.date()
    with db.sessions() as s:
        all_villages = {v.id for v in s.scalars(select(Village))}
        scope = all_villages if villages is None else villages
        claims = [c for c in s.scalars(select(Claim)) if c.village_id in scope]
        by_id = {c.id: c for c in claims}
        history = [h for h in s.scalars(select(ClaimHistory)) if h.claim_id in by_id]
        contracts = [k for k in s.scalars(select(Contract)) if k.village_id in scope]
        persons = [p for p in s.scalars(select(Person)) if p.village_id in scope]
        posts = list(s.scalars(select(Post)))
    amounts: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for c in claims:
        amounts[c.subsidy_type, c.state] += c.amount
    approved_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    paid_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for h in history:
        claim = by_id[h.claim_id]
        if h.trigger == "approve" and claim.state in APPROVED:
            approved_month[f"{h.at:%Y-%m}"] += claim.amount
        if h.trigger == "pay" and claim.state == "finance_paid":
            paid_month[f"{h.at:%Y-%m}"] += claim.amount
    approved_village: dict[int, Decimal] = defaultdict(lambda: ZERO)
    paid_village: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for c in claims:
        if c.state in APPROVED:
            approved_village[c.village_id] += c.amount
        if c.state == "finance_paid":
            paid_village[c.village_id] += c.amount
    overdue = Counter(
        [("claim", c.village_id, c.state) for c in claims if c.due_at is not None and c.due_at < now]
        + [("contract", k.village_id, k.state) for k in contracts if k.due_at is not None and k.due_at < now]
    )
    ending = [
        k.id
        for k in sorted(contracts, key=lambda k: (k.end_date, k.id))
        if k.state == "active" and today <= k.end_date <= today + timedelta(days=30)
    ]

    # Employed this month: a fact whose months include this one (see employed_months).
    this_month = (today.year, today.month)
    with db.sessions() as s:
        terminated = {
            h.contract_id: h.at.date() for h in s.scalars(select(ContractHistory)) if h.trigger == "terminate"
        }
    confirmed = {c.person_id for c in claims if c.state in APPROVED and this_month in employed_months(c)} | {
        k.person_id
        for k in contracts
        if k.state in ("active", "expired", "terminated")
        and this_month in contract_months(k, terminated.get(k.id))
    }
    employed = confirmed | {
        c.person_id for c in claims if c.state not in DEAD and this_month in employed_months(c)
    }
    trained = {c.person_id for c in claims if c.subsidy_type == "training_allowance" and c.state not in DEAD}
    labour = [p for p in persons if is_labour(p, today)]

    households: dict[str, list[Person]] = defaultdict(list)
    for p in persons:
        if "relocated" in p.target_groups.split(","):
            households[p.household_no or f"#{p.id}"].append(p)
    with_labour = {h for h, members in households.items() if any(is_labour(m, today) for m in members)}
    needy = {
        h for h in with_labour if not any(m.id in confirmed and is_labour(m, today) for m in households[h])
    }

    graduates = [p for p in persons if p.graduate_left_school is not None]
    cutoff = today - relativedelta(months=6)
    return Expected(
        by_state=Counter(c.state for c in claims),
        by_type=Counter(c.subsidy_type for c in claims),
        amount_by_type_state=dict(amounts),
        approved_by_month=dict(approved_month),
        paid_by_month=dict(paid_month),
        approved_by_village=dict(approved_village),
        paid_by_village=dict(paid_village),
        overdue=overdue,
        ending=ending,
        labour=len(labour),
        confirmed=sum(1 for p in labour if p.id in confirmed),
        employed=sum(1 for p in labour if p.id in employed),
        trained=sum(1 for p in labour if p.id in trained),
        households=len(households),
        households_with_labour=len(with_labour),
        needy_households=needy,
        villages=scope,
        without_graduate_post=scope - {p.village_id for p in posts if p.graduate_post},
        graduates=len(graduates),
        graduates_employed=sum(1 for p in graduates if p.id in confirmed),
        graduates_unemployed_long=sum(
            1 for p in graduates if p.id not in confirmed and p.graduate_left_school <= cutoff
        ),
    )


def figures(db: Database, scope: Scope) -> Dashboard:
    with db.sessions() as s:
        return dashboard(s, scope, db.clock.now(), db.vault)


def check(d: Dashboard, e: Expected) -> None:
    assert d.by_state == dict(e.by_state)
    assert d.by_type == dict(e.by_type)
    assert {(r.subsidy_type, r.state): r.amount for r in d.by_type_state} == e.amount_by_type_state
    assert all(isinstance(r.amount, Decimal) for r in d.by_type_state)
    months = {m.month: m for m in d.months}
    assert {k: m.approved for k, m in months.items() if m.approved} == {
        k: v for k, v in e.approved_by_month.items() if v
    }
    assert {k: m.paid for k, m in months.items() if m.paid} == {k: v for k, v in e.paid_by_month.items() if v}
    assert {r.village_id for r in d.by_village} == e.villages
    assert {r.village_id: r.approved for r in d.by_village if r.approved} == e.approved_by_village
    assert {r.village_id: r.paid for r in d.by_village if r.paid} == e.paid_by_village
    assert d.approved == sum(e.approved_by_village.values(), ZERO)
    assert d.paid == sum(e.paid_by_village.values(), ZERO)
    assert Counter({(o.kind, o.village_id, o.state): o.count for o in d.overdue}) == e.overdue
    assert [x.contract_id for x in d.ending] == e.ending
    assert all(0 <= x.days_left <= 30 for x in d.ending)
    assert d.labour_total("labour") == e.labour
    assert d.labour_total("confirmed") == e.confirmed
    assert d.labour_total("confirmed") + d.labour_total("pending") == e.employed
    assert d.labour_total("trained") == e.trained
    assert len(d.households) == e.households
    assert d.households_with_labour == e.households_with_labour
    assert {h.household_no for h in d.needy_households} == e.needy_households
    assert {v.village_id for v in d.villages} == e.villages
    assert {v.village_id for v in d.without_graduate_post} == e.without_graduate_post
    assert d.graduates.total == e.graduates
    assert d.graduates.employed == e.graduates_employed
    assert d.graduates.unemployed == e.graduates - e.graduates_employed
    assert d.graduates.unemployed_long == e.graduates_unemployed_long


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def test_county_figures_match_counts_made_from_the_rows(demo: Database) -> None:
    d = figures(demo, Scope(None))
    e = expected(demo)
    check(d, e)
    # Not vacuous: the demo has money in several months, employment and every claim state.
    assert len(e.by_state) == len(ClaimState) and sum(1 for v in e.paid_by_month.values() if v) >= 2
    assert 0 < e.confirmed <= e.employed < e.labour and e.households_with_labour > 0
    assert d.paid < d.approved
    # The months run without gaps up to this month.
    assert d.months[-1].month == f"{demo.clock.now():%Y-%m}"
    assert len({m.month for m in d.months}) == len(d.months)
    with demo.sessions() as s:
        names = set(
            s.scalars(
                select(Village.name).where(Village.id.in_({v.village_id for v in d.without_graduate_post}))
            )
        )
    slugs = {slug: name for *_t, villages in TOWNSHIPS for name, slug in villages}
    assert names == {slugs[s] for s in NO_GRADUATE_POST}


def test_a_village_verifier_counts_only_their_villages(demo: Database) -> None:
    with demo.sessions() as s:
        user = s.scalar(select(User).where(User.username == "village_shengping"))
        assert user is not None
        mine = set(s.scalars(select(UserVillage.village_id).where(UserVillage.user_id == user.id)))
    actor = Actor(user_id=user.id, roles=frozenset({Role.VILLAGE}), village_ids=frozenset(mine))
    scope = scope_for(actor)
    assert scope.village_ids == mine and len(mine) == 3
    d = figures(demo, scope)
    check(d, expected(demo, mine))
    county_wide = figures(demo, Scope(None))
    assert 0 < d.claims < county_wide.claims
    assert d.approved < county_wide.approved
    assert scope_for(Actor(user_id=1, roles=frozenset({Role.HR}))).county
    assert scope_for(Actor(user_id=1, roles=frozenset({Role.VILLAGE, Role.FINANCE}))).county
    assert scope_for(Actor(user_id=1, roles=frozenset({Role.AGENT}))).village_ids == frozenset()


def test_steps_land_in_their_months_and_late_corrections_are_overdue(db: Database, clock) -> None:
    """Approved in one month and paid in the next; a returned claim left past its 30 days is
    overdue; a relocated person without a household number is a household of their own."""
    c = county(db)
    clock.current = datetime(2026, 9, 28, 10, 0)
    paid = export_claim(db, c, person(db, c.village))
    transition(db, "claim", paid.id, "verify", c.verifier)
    transition(db, "claim", paid.id, "approve", c.hr)
    clock.current = datetime(2026, 10, 9, 10, 0)
    pay_through_batch(db, c.finance, paid.id)
    late = export_claim(db, c, person(db, c.other_village))
    transition(db, "claim", late.id, "return", c.other_verifier, comment="请补充材料")
    idle = person(db, c.village, groups=("poverty_alleviated", "relocated"), name="扎西")
    working = person(db, c.village, groups=("relocated",), name="卓玛")
    clock.current = datetime(2026, 11, 27, 10, 0)
    # Submitted yesterday: not overdue; and not employed now (still being checked, and its
    # employment from 1 March covers March to May only).
    export_claim(db, c, working)
    clock.current = datetime(2026, 11, 28, 10, 0)

    d = figures(db, Scope(None))
    check(d, expected(db))
    amount = paid.amount
    months = {m.month: m for m in d.months}
    assert list(months) == ["2026-09", "2026-10", "2026-11"]
    assert (months["2026-09"].approved, months["2026-09"].paid) == (amount, ZERO)
    assert (months["2026-10"].approved, months["2026-10"].paid) == (ZERO, amount)
    assert [(o.kind, o.village_id, o.state, o.count) for o in d.overdue] == [
        ("claim", c.other_village, "returned", 1)
    ]
    assert {h.household_no for h in d.households} == {f"#{idle}", f"#{working}"}
    assert [h.household_no for h in d.needy_households] == [f"#{idle}", f"#{working}"]
    assert [h.names for h in d.needy_households] == ["扎西", "卓玛"]
    mine = figures(db, Scope(frozenset({c.village})))
    assert mine.overdue == [] and mine.paid == amount
    assert figures(db, Scope(frozenset({c.other_village}))).paid == ZERO


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def svgs_of(html: str) -> list[ET.Element]:
    found = SVG.findall(html)
    return [ET.fromstring(svg) for svg in found]


def save(name: str, html: str) -> Path:
    """The page as an HTML file that opens from disk with its style sheets."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(html.replace('href="/static/', 'href="../web/static/'), encoding="utf-8")
    return path


@pytest.mark.parametrize("username", ["hr1", "finance", "admin", "village_shengping", "xxy_adong"])
def test_demo_staff_see_the_dashboard(demo: Database, username: str) -> None:
    browser = sign_in(demo, username, demo_password(username))
    r = browser.get("/dashboard")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    save(f"dashboard-{username}.html", html)
    charts = svgs_of(html)
    assert len(charts) >= 12
    for svg in charts:
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert svg.find("{http://www.w3.org/2000/svg}title") is not None
        assert svg.iter("{http://www.w3.org/2000/svg}rect")
    assert "<script" not in html.split("<main>", 1)[1]
    for heading in (
        "规划目标",
        "劳动力就业",
        "易地搬迁家庭至少一人就业",
        "大学生公岗",
        "补贴申请",
        "资金",
        "逾期事项",
        "30天内到期的公益性岗位协议",
    ):
        assert heading in html, heading
    with demo.sessions() as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        mine = set(s.scalars(select(UserVillage.village_id).where(UserVillage.user_id == user.id)))
        names = dict(s.execute(select(Village.id, Village.name)).all())
    county_wide = not username.startswith(("village_", "xxy_"))
    e = expected(demo, None if county_wide else mine)
    # The money tiles, with two decimals and thousands separators.
    approved = sum(e.approved_by_village.values(), ZERO)
    assert money(approved) in html and "," in money(approved)
    assert money(sum(e.paid_by_village.values(), ZERO)) in html
    for contract_id in e.ending:
        assert f'href="/contracts/{contract_id}"' in html
    if county_wide:
        assert "范围：全县" in html
        for vid in e.without_graduate_post:
            assert names[vid] in html
    else:
        # Nothing about the other villages: not their names, not their contracts.
        for vid, name in names.items():
            assert (name in html) == (vid in mine), name
        others = expected(demo, set(names) - mine)
        for contract_id in others.ending:
            assert f'href="/contracts/{contract_id}"' not in html


def test_the_dashboard_in_english_and_for_an_empty_county(db: Database) -> None:
    county(db)
    browser = sign_in(db, "hr1")
    r = browser.get("/dashboard")
    assert r.status_code == 200
    assert "暂无" in r.text and "0.00" in r.text
    for svg in svgs_of(r.text):
        assert svg.tag.endswith("svg")
    browser.client.cookies.set("fuzhi_lang", "en")
    r = browser.get("/dashboard")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert svgs_of(r.text)


def test_only_staff_see_the_dashboard(db: Database) -> None:
    from litestar.testing import TestClient

    from web.app import create_app

    county(db)
    with TestClient(create_app(db, secure_cookies=False)) as client:
        r = client.get("/dashboard", follow_redirects=False)
        assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/login")
    assert sign_in(db, "agent1").get("/dashboard").status_code == 403
    assert sign_in(db, "village2").get("/dashboard").status_code == 200


# --------------------------------------------------------------------------------------
# The charts
# --------------------------------------------------------------------------------------


def test_charts_are_well_formed_and_escape_their_text() -> None:
    nasty = "a<b>&\"c'</svg><script>alert(1)</script>"
    series = [Series("已核定", "#f2b45a"), Series(nasty, "#2f7d4f")]
    charts = [
        hbar_chart(
            [
                Row(nasty, (Decimal("1234.50"), Decimal("0.00")), href="/x?a=1&b=2"),
                Row("巴东村", (Decimal("3.10"), Decimal("2.00"))),
            ],
            series,
            title=nasty,
            fmt=money,
        ),
        hbar_chart(
            [Row("有组织劳务输出就业创业服务补助", (3, 4)), Row("二", (0, 0))],
            series,
            title="堆叠",
            stacked=True,
            total_label=nasty,
        ),
        hbar_chart([], series, title="空", empty="暂无数据"),
        hbar_chart([Row("零", (0,))], series[:1], title="全是零"),
        vbar_chart(["2026-10", "2026-11"], series, [[Decimal("10.00"), 5], [1, 0]], title=nasty, fmt=money),
        vbar_chart([], series, [[], []], title="空"),
        progress_bar(
            [Part("已就业", 87, "#2f7d4f"), Part(nasty, 27, "#f2b45a")], 226, title=nasty, rest="未就业"
        ),
        progress_bar([Part("已就业", 0, "#2f7d4f")], 0, title="零"),
    ]
    for chart in charts:
        root = ET.fromstring(str(chart))  # well-formed, whatever the labels held
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "<script" not in chart
        assert not any(el.tag.endswith("script") for el in root.iter())
        links = [el.get("href") for el in root.iter("{http://www.w3.org/2000/svg}a")]
        assert links in ([], ["/x?a=1&b=2"])
        texts = "".join(root.itertext())
        if "a<b>" in texts:
            assert nasty in texts  # shown as text, exactly
    first = ET.fromstring(str(charts[0]))
    assert [a.get("href") for a in first.iter("{http://www.w3.org/2000/svg}a")] == ["/x?a=1&b=2"]
    tips = [t.text for t in ET.fromstring(str(charts[0])).iter("{http://www.w3.org/2000/svg}title")]
    assert f"{nasty} · 已核定：1,234.50" in tips
    assert "暂无数据" in "".join(ET.fromstring(str(charts[2])).itertext())
    gauge = "".join(ET.fromstring(str(charts[6])).itertext())
    assert "50.4%" in gauge and "未就业 112" in gauge


def test_money_has_two_decimals_and_thousands_separators() -> None:
    assert money(Decimal("1234567.5")) == "1,234,567.50"
    assert money(Decimal("0")) == "0.00"
    assert money(Decimal("95570.00"), "en") == "95,570.00"
    assert money(Decimal("0.1") + Decimal("0.2")) == "0.30"
    assert text_width("巴东村") > text_width("abc")


def test_months_are_filled_up_to_now() -> None:
    from store.dashboard.money import MonthMoney, month_range

    rows = [
        MonthMoney(Decimal("5.00"), 1, ZERO, 0, "2026-08"),
        MonthMoney(Decimal("7.00"), 1, Decimal("7.00"), 1, "2026-10"),
    ]
    got = month_range(rows, datetime(2026, 11, 28).date())
    assert [m.month for m in got] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert got[1].approved == ZERO and got[2].paid == Decimal("7.00")
    assert [m.month for m in month_range([], datetime(2026, 1, 5).date())] == ["2026-01"]
    long_ago = [MonthMoney(Decimal("1.00"), 1, ZERO, 0, "2024-01")]
    got = month_range(long_ago, datetime(2026, 11, 28).date())
    assert len(got) == 12 and got[0].month == "2025-12"
