"""The dashboard as Excel: each of its tables and each figure its charts draw, one sheet apiece,
as numbers (amounts in yuan, shares as percentages), for the scope the page shows the user."""

from __future__ import annotations

from decimal import Decimal

from printing.workbook import Column, Sheet
from workflow.roles import Actor
from workflow.states import CAPACITY_LABELS, STATE_LABELS, SUBSIDY_LABELS

from ..dashboard.figures import Dashboard
from ..dashboard.targets import GRADUATE_WAIT_MONTHS
from ..dashboard.view import dashboard_page
from ..db import Database
from .common import Download, download

KIND = {"claim": "补贴申请", "contract": "公益性岗位协议"}


def share(part: int, whole: int | None) -> Decimal | None:
    """``part`` of ``whole`` as a fraction (the sheet shows it as a percentage), none of nothing."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _col(header: str, kind: str = "text", width: float | None = None) -> Column:
    return Column(header, kind, width)


def dashboard_export(db: Database, actor: Actor) -> Download:
    """The dashboard of the user's scope (the county, or a verifier's villages)."""
    page = dashboard_page(db, actor)
    d = page.figures
    scope = "范围：全县" if d.scope.county else f"范围：{'、'.join(v.village for v in d.villages)}"
    at = [scope, f"数据截至：{d.now:%Y-%m-%d %H:%M}"]
    return download(d.now, actor, "统计", [sheet(at) for sheet in _sheets(d)])


def _sheets(d: Dashboard) -> list[SheetMaker]:
    return [
        _rates(d),
        _trend(d),
        _labour(d),
        _households(d),
        _graduate_posts(d),
        _claims(d),
        _money_months(d),
        _money_villages(d),
        _overdue(d),
        _ending(d),
    ]


class SheetMaker:
    """A sheet waiting for the notes every sheet of the export carries."""

    def __init__(self, name: str, columns: tuple[Column, ...], rows: list[tuple[object, ...]]) -> None:
        self.name, self.columns, self.rows = name, columns, rows

    def __call__(self, notes: list[str]) -> Sheet:
        return Sheet(self.name, self.columns, self.rows, notes)


def _rates(d: Dashboard) -> SheetMaker:
    labour, employed = d.labour_total("labour"), d.labour_total("confirmed")
    plan = d.baseline if d.scope.county else None
    g = d.graduates
    rows: list[tuple[object, ...]] = [
        ("低收入人口", plan.low_income_people if plan else None, d.registered, None),
        ("劳动力", plan.labour_force if plan else None, labour, None),
        ("本月已就业", employed, employed, None),
        ("审核中（不计入就业率）", None, d.labour_total("pending"), None),
        ("已培训", None, d.labour_total("trained"), share(d.labour_total("trained"), labour)),
        ("就业率（对规划基数）", None, None, share(employed, plan.labour_force) if plan else None),
        ("就业率（对登记劳动力）", None, None, share(employed, labour)),
        ("离校未就业高校毕业生", None, g.unemployed, None),
        (f"其中离校已满{GRADUATE_WAIT_MONTHS}个月的", None, g.unemployed_long, None),
    ]
    columns = (
        _col("项目", width=26),
        _col("规划基数", "int", 12),
        _col("本系统登记", "int", 12),
        _col("比例", "percent", 10),
    )
    return SheetMaker("就业率", columns, rows)


def _trend(d: Dashboard) -> SheetMaker:
    def plan_share(month: str, employed: int) -> Decimal | None:
        plan = d.baselines.get(int(month[:4])) if d.scope.county else None
        return share(employed, plan.labour_force) if plan else None

    columns = (
        _col("月份", width=10),
        _col("劳动力", "int"),
        _col("已就业", "int"),
        _col("对规划基数", "percent", 12),
        _col("对登记劳动力", "percent", 14),
    )
    rows: list[tuple[object, ...]] = [
        (m.month, m.labour, m.employed, plan_share(m.month, m.employed), share(m.employed, m.labour))
        for m in reversed(d.trend)
    ]
    return SheetMaker("近12个月就业趋势", columns, rows)


def _labour(d: Dashboard) -> SheetMaker:
    names = {v.village_id: v.village for v in d.villages}
    columns = (
        _col("行政村", width=12),
        _col("劳动能力", width=10),
        _col("劳动力", "int"),
        _col("已就业", "int"),
        _col("审核中", "int"),
        _col("已培训", "int"),
    )
    rows: list[tuple[object, ...]] = [
        (
            names.get(r.village_id, str(r.village_id)),
            CAPACITY_LABELS.get(r.capacity, r.capacity),
            r.labour,
            r.confirmed,
            r.pending,
            r.trained,
        )
        for r in sorted(d.labour, key=lambda r: (names.get(r.village_id, ""), r.capacity))
    ]
    return SheetMaker("各村劳动力就业", columns, rows)


def _households(d: Dashboard) -> SheetMaker:
    columns = (
        _col("户号", width=16),
        _col("行政村", width=12),
        _col("劳动力成员（身份证号）", width=60),
        _col("劳动力", "int"),
        _col("家庭成员", "int"),
    )
    rows: list[tuple[object, ...]] = [
        (h.household_no, h.village, h.labour_names, h.labour, h.members) for h in d.needy_households
    ]
    return SheetMaker("无人就业的易地搬迁家庭", columns, rows)


def _graduate_posts(d: Dashboard) -> SheetMaker:
    columns = (
        _col("乡镇", width=12),
        _col("行政村", width=12),
        _col("大学生公岗", "int", 12),
        _col("在岗", "int"),
    )
    rows: list[tuple[object, ...]] = [
        (v.township, v.village, v.graduate_posts, v.graduate_filled) for v in d.villages
    ]
    return SheetMaker("大学生公岗", columns, rows)


def _claims(d: Dashboard) -> SheetMaker:
    types = list(SUBSIDY_LABELS)
    states = list(STATE_LABELS)
    columns = (
        _col("补贴类型", width=34),
        _col("状态", width=12),
        _col("件数", "int"),
        _col("金额（元）", "money", 16),
    )
    rows: list[tuple[object, ...]] = [
        (
            SUBSIDY_LABELS.get(r.subsidy_type, r.subsidy_type),
            STATE_LABELS.get(r.state, r.state),
            r.claims,
            r.amount,
        )
        for r in sorted(
            d.by_type_state,
            key=lambda r: (_index(types, r.subsidy_type), _index(states, r.state)),
        )
    ]
    return SheetMaker("补贴申请按类型和状态", columns, rows)


def _index(order: list[str], key: str) -> int:
    return order.index(key) if key in order else len(order)


MONEY = (
    _col("已核定金额（元）", "money", 18),
    _col("核定件数", "int"),
    _col("已发放金额（元）", "money", 18),
    _col("发放件数", "int"),
)


def _money_months(d: Dashboard) -> SheetMaker:
    rows: list[tuple[object, ...]] = [
        (m.month, m.approved, m.approved_claims, m.paid, m.paid_claims) for m in d.months
    ]
    return SheetMaker("资金按月份", (_col("月份", width=10), *MONEY), rows)


def _money_villages(d: Dashboard) -> SheetMaker:
    rows: list[tuple[object, ...]] = [
        (r.township, r.village, r.approved, r.approved_claims, r.paid, r.paid_claims) for r in d.by_village
    ]
    return SheetMaker("资金按行政村", (_col("乡镇", width=12), _col("行政村", width=12), *MONEY), rows)


def _overdue(d: Dashboard) -> SheetMaker:
    names = {v.village_id: v.village for v in d.villages}
    columns = (
        _col("事项", width=16),
        _col("等待的环节（当前状态）", width=22),
        _col("行政村", width=12),
        _col("逾期件数", "int"),
    )
    rows: list[tuple[object, ...]] = [
        (KIND.get(o.kind, o.kind), STATE_LABELS.get(o.state, o.state), names.get(o.village_id), o.count)
        for o in sorted(d.overdue, key=lambda o: (o.kind, o.state, names.get(o.village_id, "")))
    ]
    return SheetMaker("逾期事项", columns, rows)


def _ending(d: Dashboard) -> SheetMaker:
    columns = (
        _col("编号", "int", 10),
        _col("姓名", width=12),
        _col("行政村", width=12),
        _col("岗位", width=18),
        _col("月补贴（元）", "money", 14),
        _col("开始日期", "date", 12),
        _col("到期日", "date", 12),
        _col("剩余天数", "int"),
        _col("续签", width=18),
    )
    rows: list[tuple[object, ...]] = [
        (
            e.contract_id,
            e.person,
            e.village,
            e.post,
            e.monthly_subsidy,
            e.start_date,
            e.end_date,
            e.days_left,
            e.renewal,
        )
        for e in d.ending
    ]
    return SheetMaker("30天内到期的协议", columns, rows)
