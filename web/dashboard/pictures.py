"""Which chart draws which of the dashboard's figures: the rows and series each chart is given,
its colours and the names of the overdue steps (the drawing itself is ``web.charts``)."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from store.dashboard import APPROVED_STATES, LABOUR_CAPACITIES, PAID_STATE, Dashboard
from workflow.states import CAPACITY_LABELS, STATE_LABELS, SUBSIDY_LABELS, ClaimState, ContractState

from ..charts import WIDTH, Part, Row, Series, hbar_chart, progress_bar, vbar_chart
from .words import Words

C, K = ClaimState, ContractState
STATE_COLORS = {
    "submitted": "#4e79a7",
    "village_verified": "#76b7b2",
    "hr_first_reviewed": "#b07aa1",
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
    ("claim", C.HR_FIRST_REVIEWED): "申请·待大额复核",
    ("claim", C.HR_REVIEWED): "申请·待财务发放",
    ("claim", C.RETURNED): "申请·待重新提交",
    ("contract", K.SUBMITTED): "协议·待村级核实",
    ("contract", K.VILLAGE_VERIFIED): "协议·待人社审核",
    ("contract", K.HR_REVIEWED): "协议·待登记保险生效",
    ("contract", K.RETURNED): "协议·待重新提交",
}
OVERDUE_COLORS = (
    "#e15759",
    "#f28e2b",
    "#edc948",
    "#9c755f",
    "#b07aa1",
    "#ff9da7",
    "#4e79a7",
    "#76b7b2",
    "#59a14f",
)


def every_chart(d: Dashboard, _: Words) -> dict[str, Markup]:
    """Every chart of the page, by the name the template shows it under."""
    return {**labour_charts(d, _), **claim_charts(d, _), **overdue_charts(d, _), "trend": trend_chart(d, _)}


def labour_charts(d: Dashboard, _: Words) -> dict[str, Markup]:
    """The plan's targets: the labour force employed (by capacity, by village), relocated
    households, graduate posts, training and graduates."""
    n, people = _.n, _.people
    labour = d.labour_total("labour")
    confirmed, pending = d.labour_total("confirmed"), d.labour_total("pending")
    with_labour, needy = d.households_with_labour, d.needy_households
    villages = len(d.villages)
    with_post = villages - len(d.without_graduate_post)
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
    return charts


def claim_charts(d: Dashboard, _: Words) -> dict[str, Markup]:
    """Claims by state and by type, money approved and paid by month, village and type."""
    n, yuan = _.n, _.yuan
    charts: dict[str, Markup] = {}
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
        width=max(WIDTH, min(1200, 80 * len(d.by_village))),
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
    return charts


def overdue_charts(d: Dashboard, _: Words) -> dict[str, Markup]:
    """Overdue cases by the step they wait for, and by village."""
    n = _.n
    names = {v.village_id: v.village for v in d.villages}
    charts: dict[str, Markup] = {}
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
    return charts


def trend_chart(d: Dashboard, _: Words) -> Markup:
    """The labour force and the employed of the last 12 months."""
    n, people = _.n, _.people
    return vbar_chart(
        [m.month for m in d.trend],
        [Series(_("劳动力"), IDLE_COLOR), Series(_("已就业"), CONFIRMED_COLOR)],
        [[m.labour for m in d.trend], [m.employed for m in d.trend]],
        title=_("近12个月劳动力就业人数"),
        fmt=people,
        axis_fmt=n,
        empty=_("暂无数据"),
    )
