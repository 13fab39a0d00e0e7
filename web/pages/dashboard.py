"""The dashboard: claims, money, overdue steps, contracts ending soon and the plan's targets, as
pictures (server-drawn SVG). A village verifier sees their villages; county staff the county."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from markupsafe import Markup

from store.access import SignedIn
from store.dashboard import (
    APPROVED_STATES,
    ENDING_WITHIN_DAYS,
    GRADUATE_WAIT_MONTHS,
    LABOUR_CAPACITIES,
    PAID_STATE,
    Dashboard,
    dashboard_page,
)
from store.db import Database
from workflow.labour import EMPLOYMENT_TYPES
from workflow.states import (
    CAPACITY_LABELS,
    STATE_LABELS,
    SUBSIDY_LABELS,
    ClaimState,
    ContractState,
)

from ..charts import Part, Row, Series, count, hbar_chart, money, percent, progress_bar, vbar_chart
from ..i18n import ages_text, gettext
from .guard import STAFF_ROLES, language, require

C, K = ClaimState, ContractState
STATE_COLORS = {
    "submitted": "#4e79a7",
    "village_verified": "#76b7b2",
    "hr_reviewed": "#f28e2b",
    "finance_paid": "#59a14f",
    "returned": "#edc948",
    "rejected": "#e15759",
    "withdrawn": "#bab0ac",
    "expired": "#9c755f",
    "active": "#59a14f",
    "terminated": "#e15759",
}
APPROVED_COLOR, PAID_COLOR = "#f2b45a", "#2f7d4f"
CONFIRMED_COLOR, PENDING_COLOR, IDLE_COLOR = "#2f7d4f", "#f2b45a", "#cbd2d9"
# An overdue case waits for this step (claims, then contracts).
OVERDUE_STEPS: dict[tuple[str, str], str] = {
    ("claim", C.SUBMITTED): "申请·待村级核实",
    ("claim", C.VILLAGE_VERIFIED): "申请·待人社审核",
    ("claim", C.HR_REVIEWED): "申请·待财务发放",
    ("claim", C.RETURNED): "申请·待重新提交",
    ("contract", K.SUBMITTED): "协议·待村级核实",
    ("contract", K.VILLAGE_VERIFIED): "协议·待人社审核",
    ("contract", K.HR_REVIEWED): "协议·待登记保险生效",
    ("contract", K.RETURNED): "协议·待重新提交",
}
OVERDUE_COLORS = ("#e15759", "#f28e2b", "#edc948", "#9c755f", "#b07aa1", "#ff9da7", "#4e79a7", "#76b7b2")


class DashboardController(Controller):
    path = "/dashboard"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], who: NamedDependency[SignedIn]
    ) -> Template:
        require(who, *STAFF_ROLES)
        page = dashboard_page(db, who.actor)
        figures = page.figures
        lang = language(request, who)
        return Template(
            "dashboard.html",
            context={
                "lang": lang,
                "who": who,
                "roles": sorted(r.value for r in who.actor.roles),
                "labels": STATE_LABELS,
                "d": figures,
                "v": build_view(figures, lang),
                "policy_missing": page.policy_missing,
            },
        )


@dataclass
class Tile:
    label: str
    value: str
    unit: str
    note: str = ""
    href: str | None = None
    alert: bool = False


def build_view(d: Dashboard, lang: str) -> dict[str, Any]:
    """Everything the template shows, formatted and drawn in the page's language."""

    def _(message: str) -> str:
        return gettext(lang, message)

    def yuan(value: Any) -> str:
        return money(value, lang)

    def n(value: Any) -> str:
        return count(value, lang)

    labour = d.labour_total("labour")
    confirmed, pending = d.labour_total("confirmed"), d.labour_total("pending")
    employed = confirmed  # only approved claims and contracts that took effect count
    # The plan's baseline is the county's count: set against the county only.
    plan = d.baseline if d.scope.county else None
    overdue_claims = sum(o.count for o in d.overdue if o.kind == "claim")
    overdue_contracts = sum(o.count for o in d.overdue if o.kind == "contract")
    with_labour = d.households_with_labour
    needy = d.needy_households
    villages = len(d.villages)
    with_post = villages - len(d.without_graduate_post)

    tiles = [
        Tile(
            _("补贴申请"),
            n(d.claims),
            _("件"),
            _("其中已发放 %(n)s 件") % {"n": n(d.by_state.get(C.FINANCE_PAID, 0))},
        ),
        Tile(_("已核定金额"), yuan(d.approved), _("元"), _("人社已审核与财务已发放")),
        Tile(
            _("已发放金额"), yuan(d.paid), _("元"), _("占已核定的 %(p)s") % {"p": percent(d.paid, d.approved)}
        ),
        Tile(
            _("逾期未办"),
            n(overdue_claims + overdue_contracts),
            _("件"),
            _("申请 %(a)s 件，协议 %(b)s 件") % {"a": n(overdue_claims), "b": n(overdue_contracts)},
            "/inbox?overdue=true",
            alert=overdue_claims + overdue_contracts > 0,
        ),
        Tile(
            _("30天内到期协议"),
            n(len(d.ending)),
            _("份"),
            _("已提出续签 %(n)s 份") % {"n": n(sum(1 for e in d.ending if e.successor_id))},
            "#ending",
            alert=bool(d.ending),
        ),
        Tile(
            _("就业率（对规划基数）"),
            percent(employed, plan.labour_force) if plan else "–",
            "",
            _("%(a)s / %(b)s 人（%(y)s年规划基数）")
            % {"a": n(employed), "b": n(plan.labour_force), "y": plan.year}
            if plan
            else (_("本年度规划基数未设定") if d.scope.county else _("规划基数为全县数据")),
            "#targets",
        ),
        Tile(
            _("就业率（对登记劳动力）"),
            percent(employed, labour),
            "",
            _("%(a)s / %(b)s 人（本系统登记）") % {"a": n(employed), "b": n(labour)},
            "#targets",
        ),
    ]

    def people(value: Any) -> str:
        return f"{n(value)} {_('人')}"

    charts: dict[str, Markup] = {}
    charts["employment"] = progress_bar(
        [
            Part(_("已就业（已核定）"), confirmed, CONFIRMED_COLOR),
            Part(_("已就业（审核中）"), pending, PENDING_COLOR),
        ],
        labour,
        title=_("劳动力就业情况"),
        fmt=people,
        rest=_("未就业"),
    )
    by_cap = {cap: [0, 0, 0] for cap in LABOUR_CAPACITIES}
    by_village: dict[int, list[int]] = {v.village_id: [0, 0, 0] for v in d.villages}
    for r in d.labour:
        for bucket in (
            by_cap.setdefault(r.capacity, [0, 0, 0]),
            by_village.setdefault(r.village_id, [0, 0, 0]),
        ):
            bucket[0] += r.confirmed
            bucket[1] += r.pending
            bucket[2] += r.labour - r.confirmed - r.pending
    employment_series = [
        Series(_("已就业（已核定）"), CONFIRMED_COLOR),
        Series(_("已就业（审核中）"), PENDING_COLOR),
        Series(_("未就业"), IDLE_COLOR),
    ]
    charts["employment_capacity"] = hbar_chart(
        [Row(_(CAPACITY_LABELS.get(cap, cap)), tuple(v)) for cap, v in by_cap.items() if any(v)],
        employment_series,
        title=_("按劳动能力分的就业情况"),
        fmt=n,
        stacked=True,
        legend=False,
        total_label=_("劳动力"),
    )
    names = {v.village_id: v.village for v in d.villages}
    charts["employment_village"] = hbar_chart(
        [Row(names.get(vid, str(vid)), tuple(v)) for vid, v in by_village.items()],
        employment_series,
        title=_("各村劳动力就业情况"),
        fmt=n,
        stacked=True,
        total_label=_("劳动力"),
        empty=_("暂无数据"),
    )
    charts["relocated"] = progress_bar(
        [Part(_("至少一人就业"), with_labour - len(needy), CONFIRMED_COLOR)],
        with_labour,
        title=_("易地搬迁有劳动力家庭至少一人就业"),
        fmt=lambda v: f"{n(v)} {_('户')}",
        rest=_("无人就业"),
    )
    charts["graduate_posts"] = progress_bar(
        [Part(_("已设大学生公岗"), with_post, CONFIRMED_COLOR)],
        villages,
        title=_("设有大学生公岗的行政村"),
        fmt=lambda v: f"{n(v)} {_('个村')}",
        rest=_("未设"),
    )
    trained = d.labour_total("trained")
    charts["training"] = progress_bar(
        [Part(_("已申报培训补贴"), trained, "#4e79a7")],
        labour,
        title=_("培训覆盖"),
        fmt=people,
        rest=_("未覆盖"),
    )
    g = d.graduates
    charts["graduates"] = progress_bar(
        [Part(_("已就业"), g.employed, CONFIRMED_COLOR)],
        g.total,
        title=_("高校毕业生就业情况"),
        fmt=people,
        rest=_("离校未就业"),
    )

    states = [s for s in ClaimState if d.by_state.get(s)]
    charts["by_state"] = hbar_chart(
        [Row(_(STATE_LABELS[s]), (d.by_state[s],)) for s in states],
        [Series(_("申请件数"), "#4e79a7")],
        title=_("补贴申请按状态"),
        fmt=n,
        empty=_("暂无申请"),
        colors=[STATE_COLORS[s] for s in states],
    )
    cells = {(r.subsidy_type, r.state): r.claims for r in d.by_type_state}
    types = [t for t in SUBSIDY_LABELS if d.by_type.get(t)]
    charts["by_type"] = hbar_chart(
        [Row(_(SUBSIDY_LABELS[t]), tuple(cells.get((t, s), 0) for s in states)) for t in types],
        [Series(_(STATE_LABELS[s]), STATE_COLORS[s]) for s in states],
        title=_("补贴申请按类型和状态"),
        fmt=n,
        stacked=True,
        label_max=190,
        total_label=_("合计"),
        empty=_("暂无申请"),
    )

    money_series = [Series(_("已核定"), APPROVED_COLOR), Series(_("已发放"), PAID_COLOR)]
    charts["by_month"] = vbar_chart(
        [m.month for m in d.months],
        money_series,
        [[m.approved for m in d.months], [m.paid for m in d.months]],
        title=_("每月核定和发放金额（元）"),
        fmt=yuan,
        axis_fmt=n,
        empty=_("暂无资金数据"),
    )
    charts["money_village"] = vbar_chart(
        [r.village for r in d.by_village],
        money_series,
        [[r.approved for r in d.by_village], [r.paid for r in d.by_village]],
        title=_("各村核定和发放金额（元）"),
        fmt=yuan,
        axis_fmt=n,
        empty=_("暂无资金数据"),
        width=max(520, min(1240, 96 * len(d.by_village))),
        height=280,
    )
    money_by_type = {t: [Decimal("0.00"), Decimal("0.00")] for t in types}
    for cell in d.by_type_state:
        if cell.state in APPROVED_STATES:
            money_by_type[cell.subsidy_type][0] += cell.amount
        if cell.state == PAID_STATE:
            money_by_type[cell.subsidy_type][1] += cell.amount
    charts["money_type"] = hbar_chart(
        [Row(_(SUBSIDY_LABELS[t]), tuple(v)) for t, v in money_by_type.items() if any(v)],
        money_series,
        title=_("各类补贴核定和发放金额（元）"),
        fmt=yuan,
        label_max=190,
        empty=_("暂无资金数据"),
    )

    steps = [key for key in OVERDUE_STEPS if any((o.kind, o.state) == key for o in d.overdue)]
    steps += sorted({(o.kind, o.state) for o in d.overdue} - set(steps))
    step_names = [
        _(OVERDUE_STEPS[k])
        if k in OVERDUE_STEPS
        else f"{_('申请') if k[0] == 'claim' else _('协议')}·{_(STATE_LABELS.get(k[1], k[1]))}"
        for k in steps
    ]
    step_series = [Series(name, OVERDUE_COLORS[i % len(OVERDUE_COLORS)]) for i, name in enumerate(step_names)]
    by_step = {k: 0 for k in steps}
    overdue_village: dict[int, dict[tuple[str, str], int]] = {}
    for o in d.overdue:
        by_step[(o.kind, o.state)] += o.count
        late = overdue_village.setdefault(o.village_id, {})
        late[(o.kind, o.state)] = late.get((o.kind, o.state), 0) + o.count
    charts["overdue_step"] = hbar_chart(
        [Row(name, (by_step[k],)) for k, name in zip(steps, step_names, strict=True)],
        [Series(_("逾期件数"), "#e15759")],
        title=_("逾期环节"),
        fmt=n,
        empty=_("没有逾期的申请或协议"),
        colors=[s.color for s in step_series],
    )
    charts["overdue_village"] = hbar_chart(
        [
            Row(names.get(vid, str(vid)), tuple(overdue_village[vid].get(k, 0) for k in steps))
            for vid in names
            if vid in overdue_village
        ],
        step_series,
        title=_("各村逾期事项"),
        fmt=n,
        stacked=True,
        total_label=_("合计"),
        empty=_("没有逾期的申请或协议"),
    )

    charts["trend"] = vbar_chart(
        [m.month for m in d.trend],
        [Series(_("劳动力"), IDLE_COLOR), Series(_("已就业"), CONFIRMED_COLOR)],
        [[m.labour for m in d.trend], [m.employed for m in d.trend]],
        title=_("近12个月劳动力就业人数"),
        fmt=people,
        axis_fmt=n,
        empty=_("暂无数据"),
    )

    def plan_rate(month: str, employed_then: int) -> str:
        year_plan = d.baselines.get(int(month[:4])) if d.scope.county else None
        return percent(employed_then, year_plan.labour_force) if year_plan else "–"

    trend = [
        {
            "month": m.month,
            "labour": n(m.labour),
            "employed": n(m.employed),
            "registered_rate": percent(m.employed, m.labour),
            "plan_rate": plan_rate(m.month, m.employed),
        }
        for m in reversed(d.trend)
    ]

    return {
        "tiles": tiles,
        "trend": trend,
        "plan_rate": percent(employed, plan.labour_force) if plan else "–",
        "registered_rate": percent(employed, labour),
        "plan": plan,
        "ages": ages_text(lang, d.ages),
        "registered": n(d.registered),
        "people_rate": percent(d.registered, plan.low_income_people) if plan else "–",
        "charts": charts,
        "money": yuan,
        "n": n,
        "scope": _("全县") if d.scope.county else "、".join(v.village for v in d.villages),
        "labour": labour,
        "employed": employed,
        "confirmed": confirmed,
        "pending": pending,
        "needy": needy,
        "with_labour": with_labour,
        "households": len(d.households),
        "without_post": d.without_graduate_post,
        "unfilled_post": [v for v in d.villages if v.graduate_posts and not v.graduate_filled],
        "graduates": g,
        "graduate_wait": GRADUATE_WAIT_MONTHS,
        "trained": trained,
        "ending": d.ending,
        "ending_days": ENDING_WITHIN_DAYS,
        "employment_types": [_(SUBSIDY_LABELS[t]) for t in EMPLOYMENT_TYPES],
        "plan_labour": n(plan.labour_force) if plan else None,
        "plan_people": n(plan.low_income_people) if plan else None,
    }
