"""Who is labour force and who is employed in which month, in SQL: the pieces the labour,
household and graduate figures are built from (no figure of its own).

Who is *labour force* (one definition, ``workflow.labour``): some labour capacity (全劳力,
弱劳力 or 半劳力; never 无劳动力) and of working age on the day (the admin's range, from the
birth date of the ID number), or marked as labour force anyway (``labour_force_override``).

Who is *employed*, and when: each fact covers months, not forever (``employment_spans``).
An approved claim (hr_reviewed or finance_paid) of an employment type covers the months its
rule needed from the employment start; a post contract that took effect (active, expired,
terminated) covers its months from start to end (or termination). A live claim not yet
approved covers its months as *pending*. "Employed now" means employed in the current month
(by confirmed facts); the trend counts each of the last 12 months the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)

from workflow.labour import CLAIM_MONTHS, EMPLOYMENT_TYPES, WorkingAge, birth_window
from workflow.states import ContractState, SubsidyType

from ..models import Claim, Contract, Person
from .scope import APPROVED_STATES, LIVE_STATES

K, T = ContractState, SubsidyType

LABOUR_CAPACITIES = ("full", "weak", "half")  # 无劳动力 is never labour force
# A contract that took effect: it covers its months even after it expired or was terminated.
EMPLOYED_CONTRACT_STATES: tuple[str, ...] = (str(K.ACTIVE), str(K.EXPIRED), str(K.TERMINATED))


def claim_exists(types: Iterable[str], states: Iterable[str]) -> Any:
    return exists().where(
        Claim.person_id == Person.id, Claim.subsidy_type.in_(tuple(types)), Claim.state.in_(tuple(states))
    )


def _month_of(year: Any, month: Any) -> Any:
    """``workflow.labour.month_index`` in SQL."""
    return year * 12 + month - 1


def _month_of_date(column: Any) -> Any:
    return _month_of(cast(extract("year", column), Integer), cast(extract("month", column), Integer))


def employment_spans() -> Any:
    """One row per fact that shows a person employed: ``person_id``, the ``first`` and ``last``
    month it covers (``month_index``), and whether it is ``confirmed`` (1: an approved claim or
    a contract that took effect) or still being checked (0: a live claim not yet approved).
    The months are ``workflow.labour``'s: ``claim_span``, ``training_span_before``,
    ``contract_span``."""
    start = Claim.facts["employment_start"].as_string()
    start_month = _month_of(cast(func.substr(start, 1, 4), Integer), cast(func.substr(start, 6, 2), Integer))
    training = Claim.facts["training_months"].as_integer()
    months = case(*[(Claim.subsidy_type == t, n) for t, n in CLAIM_MONTHS.items() if n], else_=training)
    confirmed = case((Claim.state.in_(APPROVED_STATES), 1), else_=0)
    live = and_(Claim.subsidy_type.in_(EMPLOYMENT_TYPES), Claim.state.in_(LIVE_STATES))
    from_start = select(
        Claim.person_id.label("person_id"),
        start_month.label("first"),
        (start_month + months - case((func.substr(start, 9, 2) == "01", 1), else_=0)).label("last"),
        confirmed.label("confirmed"),
    ).where(live, start.is_not(None))
    filed = _month_of_date(Claim.created_at)
    before_filing = select(Claim.person_id, filed - training, filed - 1, confirmed).where(
        live, start.is_(None), Claim.subsidy_type == T.WORK_FOR_TRAINING, training.is_not(None)
    )
    # A terminated contract ends with its last day on the post (有序退岗), not at its printed
    # end date.
    last_day = case(
        (Contract.state == K.TERMINATED, _month_of_date(Contract.terminated_on)),
        else_=_month_of_date(Contract.end_date),
    )
    contracts = select(
        Contract.person_id, _month_of_date(Contract.start_date), last_day, literal(1, Integer)
    ).where(Contract.state.in_(EMPLOYED_CONTRACT_STATES))
    return union_all(from_start, before_filing, contracts).subquery("spans")


def employed_in(month: int) -> Any:
    """Per person employed in ``month``: ``person_id`` and ``confirmed`` (1 when any of the
    person's facts for that month is confirmed, else 0: only pending claims)."""
    spans = employment_spans()
    return (
        select(spans.c.person_id, func.max(spans.c.confirmed).label("confirmed"))
        .where(spans.c.first <= month, spans.c.last >= month)
        .group_by(spans.c.person_id)
        .subquery("employed")
    )


def in_labour_force(ages: WorkingAge, day: date) -> ColumnElement[bool]:
    """``workflow.labour.in_labour_force`` in SQL, on ``day``."""
    born_after, born_by = birth_window(day, ages)
    return labour_force_between(born_after, born_by)


def labour_force_between(born_after: Any, born_by: Any) -> ColumnElement[bool]:
    return and_(
        Person.labour_capacity.in_(LABOUR_CAPACITIES),
        or_(
            Person.labour_force_override.is_(True),
            and_(Person.birth_date > born_after, Person.birth_date <= born_by),
        ),
    )


def has_group(group: str) -> ColumnElement[bool]:
    """``target_groups`` is a comma-separated list of codes."""
    return (literal(",") + Person.target_groups + literal(",")).like(f"%,{group},%")
