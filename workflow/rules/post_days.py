"""在岗领补: the post subsidy of one month, prorated by the days on the post.

The contract's printed rule (``RULE_TEXT``, 第三条 of the 公益性岗位协议) and the computation
(``prorate``) live side by side so that the paper and the payment cannot drift apart.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..errors import ValidationFailed
from ..money import FEN

# Printed on the contract after the monthly amount; the rule below computes exactly this.
RULE_TEXT = (
    "乙方当月出勤天数达到当月法定工作日天数（按国家法定节假日和调休安排确定）的，"
    "全额发放当月岗位补贴；出勤不足的，按实际出勤天数折算："
    "当月岗位补贴 = 月岗位补贴 × 实际出勤天数 ÷ 当月法定工作日天数，"
    "计算结果四舍五入到分。协议起止、有序退岗所在月份，出勤天数不超过协议期内的工作日天数；"
    "出勤天数由村（社区）在当月结束后核实。"
)
FORMULA = "月岗位补贴 × 实际出勤天数 ÷ 当月法定工作日天数（四舍五入到分）"


def month_bounds(month: str | None) -> tuple[date, date]:
    """The first and last day of a ``YYYY-MM`` month; a bad month names the field."""
    if month is None:
        raise ValidationFailed("validation.required", "缺少“补贴月份”", field="month")
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValidationFailed("validation.month", "补贴月份格式须为YYYY-MM", field="month") from None
    return first, first.replace(day=calendar.monthrange(year, mon)[1])


@dataclass(frozen=True)
class PostMonth:
    """What one contract-month offers: the month's working days and those the contract covers."""

    month: str
    working_days: int  # the month's, on China's calendar: the base of full attendance
    covered: int  # those between the contract's start and its end or termination
    first_covered: date | None
    last_covered: date | None


def post_month(month: str, workdays: Sequence[date], start: date, last_day: date) -> PostMonth:
    """``last_day`` is the contract's end date, or its termination date when earlier."""
    inside = [d for d in workdays if start <= d <= last_day]
    return PostMonth(
        month, len(workdays), len(inside), inside[0] if inside else None, inside[-1] if inside else None
    )


def prorate(monthly: Decimal, days: int, working_days: int) -> Decimal:
    """月岗位补贴 × 实际出勤天数 ÷ 当月法定工作日天数, half-up to the fen. Full attendance
    gives exactly the monthly amount."""
    if working_days <= 0:
        raise ValueError("a month with no working day has no attendance base")
    return (Decimal(monthly) * days / working_days).quantize(FEN, rounding=ROUND_HALF_UP)


def explain(monthly: Decimal, days: int, pm: PostMonth, amount: Decimal) -> str:
    """The amount in words for the case page and the 审批表, with the numbers used."""
    part = (
        ""
        if pm.covered == pm.working_days
        else f"协议期内工作日{pm.covered}天（{pm.first_covered:%m月%d日}至{pm.last_covered:%m月%d日}），"
    )
    how = (
        "全勤，按月岗位补贴全额发放"
        if days == pm.working_days
        else f"按{monthly}元×{days}÷{pm.working_days}折算，四舍五入到分"
    )
    return f"{pm.month}当月法定工作日{pm.working_days}天，{part}经村级核实出勤{days}天，{how}，计{amount}元"
