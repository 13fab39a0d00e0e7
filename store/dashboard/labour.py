"""The labour force figures: today's labour force per village and labour capacity (employed
confirmed or pending, trained), and the trend of the last months. Each is one aggregate query;
who counts is ``employment``'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, Integer, and_, case, func, literal, select, true, union_all
from sqlalchemy.orm import Session

from workflow.dates import add_months
from workflow.labour import WorkingAge, birth_window, month_index, month_of_index
from workflow.states import SubsidyType

from ..models import Person
from .employment import claim_exists, employed_in, employment_spans, in_labour_force, labour_force_between
from .scope import LIVE_STATES, Scope, count_if

T = SubsidyType
TREND_MONTHS = 12


@dataclass(frozen=True)
class LabourRow:
    village_id: int
    capacity: str
    labour: int
    confirmed: int
    pending: int
    trained: int


def labour_force(session: Session, scope: Scope, ages: WorkingAge, today: date) -> list[LabourRow]:
    """The labour force today per village and labour capacity: how many are employed this
    month (confirmed, pending) and how many had a live training_allowance claim (应培尽培)."""
    employed = employed_in(month_index(today))
    flags = (
        select(
            Person.village_id.label("village_id"),
            Person.labour_capacity.label("capacity"),
            case((employed.c.confirmed == 1, 1), else_=0).label("confirmed"),
            case((employed.c.person_id.is_not(None), 1), else_=0).label("employed"),
            case((claim_exists((T.TRAINING_ALLOWANCE,), LIVE_STATES), 1), else_=0).label("trained"),
        )
        .outerjoin(employed, employed.c.person_id == Person.id)
        .where(in_labour_force(ages, today), scope.where(Person.village_id))
        .subquery()
    )
    q = select(
        flags.c.village_id,
        flags.c.capacity,
        func.count(),
        func.sum(flags.c.confirmed),
        func.sum(flags.c.employed - flags.c.confirmed),
        func.sum(flags.c.trained),
    ).group_by(flags.c.village_id, flags.c.capacity)
    return [LabourRow(v, cap, n, int(c), int(p), int(t)) for v, cap, n, c, p, t in session.execute(q)]


@dataclass(frozen=True)
class MonthEmployment:
    month: str  # "2026-08"
    labour: int  # the labour force on the month's last day (today, for this month)
    employed: int  # of them, employed in the month (confirmed facts only)


def employment_by_month(
    session: Session, scope: Scope, ages: WorkingAge, today: date, months: int = TREND_MONTHS
) -> list[MonthEmployment]:
    """The last ``months`` months up to today's, oldest first: the labour force and how many of
    it were employed in each month, one query (the months are a small literal table)."""
    this = month_index(today)
    rows = []
    for index in range(this - months + 1, this + 1):
        year, month = divmod(index, 12)
        last = min(today, add_months(date(year, month + 1, 1), 1) - timedelta(days=1))
        born_after, born_by = birth_window(last, ages)
        rows.append(
            select(
                literal(index, Integer).label("m"),
                literal(born_after, Date).label("born_after"),
                literal(born_by, Date).label("born_by"),
            )
        )
    table = union_all(*rows).subquery("months")
    spans = employment_spans()
    employed = (
        select(spans.c.person_id, table.c.m)
        .distinct()
        .select_from(spans)
        .join(table, and_(spans.c.first <= table.c.m, spans.c.last >= table.c.m))
        .where(spans.c.confirmed == 1)
        .subquery("employed")
    )
    labour = labour_force_between(table.c.born_after, table.c.born_by)
    q = (
        select(table.c.m, count_if(labour), count_if(and_(labour, employed.c.person_id.is_not(None))))
        .select_from(table)
        .join(Person, true())
        .outerjoin(employed, and_(employed.c.person_id == Person.id, employed.c.m == table.c.m))
        .where(scope.where(Person.village_id))
        .group_by(table.c.m)
    )
    found = {m: (int(n), int(e)) for m, n, e in session.execute(q)}
    return [
        MonthEmployment(month_of_index(m), *found.get(m, (0, 0))) for m in range(this - months + 1, this + 1)
    ]
