"""A row of a bulk list read cell by cell (``ListRow``, or every error found in it), and a
refusal as a row error naming the column by its Chinese header. ``read_cells`` reads the cells
of any kind of list (the places and persons the admin imports too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from ..errors import DomainError
from .cells import READERS
from .columns import BY_FIELD, FACT_FIELDS, HEADER_OF, Column


class RowError(NamedTuple):
    """One reason a row is refused: the column's Chinese header ("" for the whole row)."""

    column: str
    code: str
    message: str


@dataclass(frozen=True)
class ListRow:
    """One row read and checked cell by cell: what the service needs to file its claim."""

    row: int
    name: str
    id_number: str
    subsidy_type: str
    village_code: str | None = None
    target_groups: tuple[str, ...] = ()
    labour_capacity: str = "full"
    labour_force_override: bool = False
    phone: str | None = None
    bank_account: str | None = None
    household_no: str | None = None
    policy_year: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    contract_id: int | None = None


def error_of(
    exc: DomainError, default_column: str = "", header_of: Mapping[str, str] = HEADER_OF
) -> RowError:
    """A domain error as a row error, its field named by the Chinese header."""
    name = exc.details.get("field")
    if name is None:
        column = RULE_COLUMNS.get(exc.code, default_column)
    else:
        column = header_of.get(str(name), str(name))
    return RowError(column, exc.code, exc.message)


_UNREAD = object()
# The cells a list's memo keeps: equal values of these types read alike (not floats: -0.0
# equals 0.0; nor lists and mappings of JSON, which have no hash).
_KEPT = frozenset({str, int, bool, date, datetime})


def read_cells(
    cells: Mapping[str, object],
    by_field: Mapping[str, Column] = BY_FIELD,
    memo: dict[tuple[str, type, object], Any] | None = None,
) -> tuple[dict[str, Any], list[RowError]]:
    """A row's non-empty cells by field, each read by its column's kind: the values read and
    every cell error found (not just the first).

    ``memo``, kept for a whole list, holds the cells already read by field, type and value: a
    list repeats most of them (the subsidy type, the village, the year, the dates), and a
    reader depends on nothing else. A cell that fails is read again each time."""
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for name, raw in cells.items():
        if raw is None:  # every reader reads an empty cell as nothing: most cells of a row
            continue
        col = by_field[name]
        try:
            if memo is None or type(raw) not in _KEPT:
                values[name] = READERS[col.kind](col, raw)
                continue
            key = (name, type(raw), raw)  # the type too: 1 and True are equal keys
            value = memo.get(key, _UNREAD)
            if value is _UNREAD:
                value = memo[key] = READERS[col.kind](col, raw)
            values[name] = value
        except DomainError as exc:
            errors.append(error_of(exc, col.header))
    return values, errors


def read_row(
    row: int, cells: Mapping[str, object], memo: dict[tuple[str, type, object], Any] | None = None
) -> ListRow | tuple[RowError, ...]:
    """A claim list's row: its cells by field → the row, or every error found in it."""
    values, errors = read_cells(cells, BY_FIELD, memo)
    for name in ("name", "id_number", "subsidy_type"):
        if values.get(name) is None and not any(e.column == HEADER_OF[name] for e in errors):
            errors.append(RowError(HEADER_OF[name], "validation.required", f"缺少“{HEADER_OF[name]}”"))
    if values.get("id_number") == BY_FIELD["id_number"].example:
        errors.append(
            RowError(
                HEADER_OF["id_number"],
                "validation.example_row",
                "这是模板中的示例行（身份证号为虚构号码），请删除或改为实际人员",
            )
        )
    if errors:
        return tuple(errors)
    facts = {k: values[k] for k in FACT_FIELDS if values.get(k) not in (None, False)}
    return ListRow(
        row=row,
        name=values["name"],
        id_number=values["id_number"],
        subsidy_type=values["subsidy_type"],
        village_code=values.get("village_code"),
        target_groups=values.get("target_groups") or (),
        labour_capacity=values.get("labour_capacity") or "full",
        labour_force_override=bool(values.get("labour_force_override")),
        phone=values.get("phone"),
        bank_account=values.get("bank_account"),
        household_no=values.get("household_no"),
        policy_year=values.get("policy_year"),
        facts=facts,
        contract_id=values.get("contract_id"),
    )


# A rule names no field; the column its refusal is about, for the row report.
RULE_COLUMNS: dict[str, str] = {
    "rule.not_target_group": "帮扶对象类别",
    "rule.no_subsidy_in_county": "务工地点",
    "rule.employment_too_short": "就业开始日期",
    "rule.duplicate": "身份证号",
    "rule.exclusive_with": "补贴类型",
    "rule.claimant_kind_not_eligible": "补贴类型",
    "rule.claimant_not_recognised_base": "补贴类型",
    "rule.claimant_not_recognised_workshop": "补贴类型",
    "rule.not_first_business": "补贴类型",
    "rule.not_operating_normally": "是否正常经营",
    "rule.training_not_served": "就业开始日期",
    "rule.already_received": "补贴类型",
    "rule.training_months_over_cap": "以工代训月数",
    "rule.no_active_contract_for_month": "协议编号",
    "rule.month_not_started": "补贴月份",
    "rule.course_not_completed": "是否结业",
    "validation.name_mismatch": "姓名",
    "validation.village": "行政村代码",
}
