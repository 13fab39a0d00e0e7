"""Every row of a list through the plan's rules, as if each were filed alone, plus what only a
list has: rows duplicating each other (the first wins), and the "≥ 5 absorbed persons" count
including the list's other valid rows of the same type (evaluated to a fixpoint: a row that
fails changes its siblings' count, so they are checked again until stable). The threshold
itself is a standing condition checked when HR approves; here it only informs the count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ..errors import DomainError
from ..rules import ClaimDraft, OtherClaim, PolicyParams, RuleOutcome, evaluate
from .columns import HEADER_OF
from .rows import RowError, error_of

ABSORPTION = frozenset({"startup_subsidy", "workshop_reward"})


@dataclass(frozen=True)
class Candidate:
    row: int
    draft: ClaimDraft
    params: PolicyParams


def check_rows(
    candidates: Sequence[Candidate],
    live_of_person: Mapping[int, Sequence[OtherClaim]],
    live_of_claimant: Mapping[str, Sequence[OtherClaim]],
    today: date,
) -> tuple[dict[int, RuleOutcome], dict[int, RowError]]:
    """Outcomes of the rows that pass, errors of those that do not, both by row number.

    ``live_of_person``: each person's live claims (any claimant); ``live_of_claimant``: the
    claimant's live claims by subsidy type (any year), for the absorption rules only.
    """
    outcomes: dict[int, RuleOutcome] = {}
    refused: dict[int, RowError] = {}
    alive = list(candidates)
    first_round = True
    while True:
        siblings = _absorbed_siblings(alive)
        for c in alive:
            d = c.draft
            absorbing = d.subsidy_type in ABSORPTION
            if not first_round and not absorbing:
                continue  # nothing a sibling does changes this row's outcome
            others = list(live_of_person.get(d.person.id, ()))
            if absorbing:
                others += live_of_claimant.get(d.subsidy_type, ())
                others += (
                    OtherClaim(d.subsidy_type, pid, d.claimant.id, d.policy_year, None)
                    for pid in siblings.get(d.subsidy_type, ())
                    if pid != d.person.id
                )
            try:
                outcomes[c.row] = evaluate(d, c.params, others, today)
            except DomainError as exc:
                outcomes.pop(c.row, None)
                refused[c.row] = error_of(exc)
        _refuse_repeats(alive, outcomes, refused)
        still = [c for c in alive if c.row not in refused]
        if len(still) == len(alive):
            return outcomes, refused
        alive = still
        first_round = False


def _absorbed_siblings(alive: Sequence[Candidate]) -> dict[str, list[int]]:
    """The distinct persons of the list's live absorption rows, by type."""
    groups: dict[str, dict[int, None]] = {}
    for c in alive:
        if c.draft.subsidy_type in ABSORPTION:
            groups.setdefault(c.draft.subsidy_type, {})[c.draft.person.id] = None
    return {k: list(v) for k, v in groups.items()}


def _refuse_repeats(
    alive: Sequence[Candidate], outcomes: dict[int, RuleOutcome], refused: dict[int, RowError]
) -> None:
    """A row claiming a place an earlier row of the list already holds is refused."""
    holder: dict[str, int] = {}
    exclusive: dict[str, int] = {}
    for c in alive:
        outcome = outcomes.get(c.row)
        if outcome is None or c.row in refused:
            continue
        if (first := holder.get(outcome.dedupe_key)) is not None:
            refused[c.row] = RowError(
                HEADER_OF["id_number"],
                "rule.duplicate",
                f"与清单第{first}行重复：该人员已有同类补贴申请，不得重复申请",
            )
        elif outcome.exclusion_key and (first := exclusive.get(outcome.exclusion_key)) is not None:
            refused[c.row] = RowError(
                HEADER_OF["subsidy_type"],
                "rule.exclusive_with",
                f"与清单第{first}行冲突：同一年度不能同时享受一次性外出务工交通补助和一次性外出务工奖补",
            )
        else:
            holder[outcome.dedupe_key] = c.row
            if outcome.exclusion_key:
                exclusive[outcome.exclusion_key] = c.row
            continue
        del outcomes[c.row]
