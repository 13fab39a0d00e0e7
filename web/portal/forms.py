"""What the agents' forms read and show: the filters of the claims page, the facts form of a
returned claim (each subsidy type's facts, labelled and explained as the list template's columns
are), and the names of what a claim waits for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.claims import ClaimFilter
from workflow.lists.columns import BY_FIELD
from workflow.machines import CLAIM
from workflow.states import ClaimState, SubsidyType

from ..i18n import N_

PAGE = 50  # claims on one page

# The facts each subsidy type's rule reads (workflow/rules): the fields of its correction form.
FACTS_OF: dict[str, tuple[str, ...]] = {
    SubsidyType.LABOUR_EXPORT_SERVICE: ("destination", "employment_start"),
    SubsidyType.TRANSPORT_SUBSIDY: ("destination", "employment_start", "fare"),
    SubsidyType.MIGRANT_WORK_REWARD: ("destination", "employment_start"),
    SubsidyType.EMPLOYMENT_BASE_REWARD: ("employment_start",),
    SubsidyType.STARTUP_SUBSIDY: ("employment_start", "wages_paid", "operating_normally"),
    SubsidyType.WORKSHOP_REWARD: ("employment_start", "wages_paid"),
    SubsidyType.WORK_FOR_TRAINING: ("employment_start", "training_months"),
    SubsidyType.PUBLIC_WELFARE_POST: ("month", "attendance_days"),
    SubsidyType.TRAINING_ALLOWANCE: ("course_id", "course_days", "course_end", "course_completed"),
}
# What a claim in a waiting state waits for: the names of the claim table's waits, marked here
# for the message catalogue (tests/test_portal.py checks that every wait has its name here).
WAIT_NAMES = (N_("村级核实"), N_("人社局审核"), N_("大额复核"), N_("财务发放"), N_("重新提交"))
WAITING = {state: wait.waiting_for for state, wait in CLAIM.waits.items()}
INPUT_TYPES = {"date": "date", "month": "month", "int": "number", "money": "text", "text": "text"}


@dataclass(frozen=True)
class FactInput:
    """One field of the facts form: the list template's column for it, and its value now."""

    field: str
    label: str
    help: str
    kind: str  # choice, flag, or an <input> type: date, month, number, text
    value: str
    checked: bool
    choices: dict[str, str]
    numeric: bool  # a number typed on a phone's number pad


def fact_inputs(subsidy_type: str, facts: dict[str, Any]) -> list[FactInput]:
    """The facts form of a claim: its type's facts, then any other fact the claim states."""
    names = FACTS_OF.get(subsidy_type, ())
    names = (*names, *(k for k in facts if k not in names and k in BY_FIELD))
    inputs = []
    for name in names:
        column = BY_FIELD[name]
        value = facts.get(name)
        kind = column.kind if column.kind in ("choice", "flag") else INPUT_TYPES.get(column.kind, "text")
        inputs.append(
            FactInput(
                field=name,
                label=column.header,
                help=column.help,
                kind=kind,
                value="" if value is None or isinstance(value, bool) else str(value),
                checked=value is True or value == "是",  # stored, or as the form posts it
                choices=dict(column.choices),
                numeric=column.kind in ("int", "money"),
            )
        )
    return inputs


def claim_filter(
    status: str | None, subsidy_type: str | None, year: int | None, batch: str | None, before: int | None
) -> ClaimFilter:
    """The claims page's filters; a value no claim can have is ignored."""
    return ClaimFilter(
        state=status if status in ClaimState.__members__.values() else None,
        subsidy_type=subsidy_type if subsidy_type in SubsidyType.__members__.values() else None,
        year=year if year is not None and 2000 <= year <= 2100 else None,
        batch=(batch or "").strip()[:40] or None,
        before_id=before if before is not None and 0 < before < 2**31 else None,
    )
