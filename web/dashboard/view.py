"""The dashboard page's view: the tiles at the top, the trend table and everything else the
template shows, formatted in the page's language, with the charts of ``pictures``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.dashboard import ENDING_WITHIN_DAYS, GRADUATE_WAIT_MONTHS, Dashboard
from workflow.labour import EMPLOYMENT_TYPES
from workflow.states import SUBSIDY_LABELS, ClaimState

from ..charts import percent
from ..i18n import ages_text
from .pictures import every_chart
from .words import Words

C = ClaimState


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
    _ = Words(lang)
    n, yuan = _.n, _.yuan
    labour = d.labour_total("labour")
    confirmed, pending = d.labour_total("confirmed"), d.labour_total("pending")
    employed = confirmed  # only approved claims and contracts that took effect count
    # The plan's baseline is the county's count: set against the county only.
    plan = d.baseline if d.scope.county else None
    overdue_claims = sum(o.count for o in d.overdue if o.kind == "claim")
    overdue_contracts = sum(o.count for o in d.overdue if o.kind == "contract")
    with_labour = d.households_with_labour
    needy = d.needy_households

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
    trained = d.labour_total("trained")
    g = d.graduates
    charts = every_chart(d, _)

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
