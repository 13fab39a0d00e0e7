"""Everything the dashboard page shows: the figures of the scope gathered in one ``Dashboard``,
each still one aggregate query of its own module (claims and money in ``money``, deadlines in
``deadlines``, the labour force in ``labour``, households and graduates in ``targets``; who is
labour force and employed in ``employment``). Python only reshapes the few aggregated rows
that come back (never one row per claim or person)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.labour import WorkingAge
from workflow.pii import Vault

from ..models import Person
from ..people.labour import Baseline, baselines, working_age
from .deadlines import Ending, Overdue, contracts_ending, overdue_steps
from .labour import LabourRow, MonthEmployment, employment_by_month, labour_force
from .money import (
    MonthMoney,
    TypeState,
    VillageMoney,
    claims_by_type_and_state,
    money_by_month,
    money_by_village,
    month_range,
)
from .scope import Scope
from .targets import Graduates, Household, VillagePosts, graduate_posts, graduates, relocated_households


@dataclass
class Dashboard:
    scope: Scope
    now: datetime
    villages: list[VillagePosts]
    by_type_state: list[TypeState]
    months: list[MonthMoney]
    by_village: list[VillageMoney]
    overdue: list[Overdue]
    ending: list[Ending]
    labour: list[LabourRow]
    households: list[Household]
    graduates: Graduates
    ages: WorkingAge
    baselines: dict[int, Baseline]  # the plan's baseline by year, as the admin set them
    trend: list[MonthEmployment]
    registered: int  # people registered in the scope (set against the baseline's people)
    by_state: dict[str, int] = field(init=False)
    by_type: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.by_state, self.by_type = {}, {}
        for r in self.by_type_state:
            self.by_state[r.state] = self.by_state.get(r.state, 0) + r.claims
            self.by_type[r.subsidy_type] = self.by_type.get(r.subsidy_type, 0) + r.claims

    @property
    def claims(self) -> int:
        return sum(self.by_state.values())

    @property
    def approved(self) -> Decimal:
        return sum((r.approved for r in self.by_village), Decimal("0.00"))

    @property
    def paid(self) -> Decimal:
        return sum((r.paid for r in self.by_village), Decimal("0.00"))

    def labour_total(self, what: str) -> int:
        return sum(getattr(r, what) for r in self.labour)

    @property
    def baseline(self) -> Baseline | None:
        """This year's plan baseline, if the admin set one."""
        return self.baselines.get(self.now.year)

    @property
    def needy_households(self) -> list[Household]:
        return [h for h in self.households if h.needs_work]

    @property
    def households_with_labour(self) -> int:
        return sum(1 for h in self.households if h.labour > 0)

    @property
    def without_graduate_post(self) -> list[VillagePosts]:
        return [v for v in self.villages if v.graduate_posts == 0]


def registered_people(session: Session, scope: Scope) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Person).where(scope.where(Person.village_id))) or 0
    )


def dashboard(session: Session, scope: Scope, now: datetime, vault: Vault) -> Dashboard:
    today = now.date()
    ages = working_age(session)
    return Dashboard(
        scope=scope,
        now=now,
        villages=graduate_posts(session, scope),
        by_type_state=claims_by_type_and_state(session, scope),
        months=month_range(money_by_month(session, scope), today),
        by_village=money_by_village(session, scope),
        overdue=overdue_steps(session, scope, now),
        ending=contracts_ending(session, scope, today),
        labour=labour_force(session, scope, ages, today),
        households=relocated_households(session, vault, scope, ages, today),
        graduates=graduates(session, scope, today),
        ages=ages,
        baselines={b.year: b for b in baselines(session)},
        trend=employment_by_month(session, scope, ages, today),
        registered=registered_people(session, scope),
    )
