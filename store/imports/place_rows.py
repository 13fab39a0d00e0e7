"""An import's places written: the townships and villages the rows name, checked against the
county's places (read whole: a county has a few hundred) and against one another, then the
new ones inserted and the renamed or moved ones updated, unless a dry run.

A village code already registered is updated to the row's name and township; a township code
already registered takes the name of the first row naming it. Rows of another county than the
places already registered (or than the file's first row) are refused: one installation serves
one county.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.lists.places import HEADER, PlaceRow
from workflow.lists.rows import RowError

from ..models import Township, Village
from .outcomes import ImportRow


@dataclass
class _Plan:
    """What the rows ask for, before anything is written."""

    new_townships: dict[str, str] = field(default_factory=dict)  # code -> name
    renamed_townships: dict[str, str] = field(default_factory=dict)  # code -> new name
    new_villages: dict[int, PlaceRow] = field(default_factory=dict)  # by row number
    changed_villages: dict[int, PlaceRow] = field(default_factory=dict)  # by row number
    outcomes: dict[int, ImportRow] = field(default_factory=dict)


def import_places(session: Session, rows: Sequence[PlaceRow], dry_run: bool) -> dict[int, ImportRow]:
    """Every row's outcome by row number; the places written unless ``dry_run``."""
    townships = {t.code: t for t in session.scalars(select(Township))}
    villages = {v.code: v for v in session.scalars(select(Village))}
    plan = _plan(rows, townships, villages)
    if dry_run:
        return plan.outcomes
    for code, name in plan.renamed_townships.items():
        townships[code].name = name
    added = [
        Township(code=code, name=name, county_code=code[:6]) for code, name in plan.new_townships.items()
    ]
    session.add_all(added)
    session.flush()
    townships.update((t.code, t) for t in added)
    for row in plan.changed_villages.values():
        village = villages[row.village_code]
        village.name, village.township_id = row.village_name, townships[row.township_code].id
    made = {
        number: Village(code=r.village_code, name=r.village_name, township_id=townships[r.township_code].id)
        for number, r in plan.new_villages.items()
    }
    session.add_all(made.values())
    session.flush()
    for number, village in made.items():
        plan.outcomes[number] = ImportRow(number, "created", village.id)
    return plan.outcomes


def _plan(rows: Sequence[PlaceRow], townships: dict[str, Township], villages: dict[str, Village]) -> _Plan:
    plan = _Plan()
    county = next((t.county_code for t in townships.values()), None)
    village_row: dict[str, int] = {}
    township_row: dict[str, tuple[int, str]] = {}
    for r in rows:
        county = county or r.county_code
        errors = _conflicts(r, county, village_row, township_row)
        if errors:
            plan.outcomes[r.row] = ImportRow(r.row, "refused", errors=tuple(errors))
            continue
        village_row[r.village_code] = r.row
        changed: list[str] = []
        if r.township_code not in township_row:
            township_row[r.township_code] = (r.row, r.township_name)
            township = townships.get(r.township_code)
            if township is None:
                plan.new_townships[r.township_code] = r.township_name
            elif township.name != r.township_name:
                plan.renamed_townships[r.township_code] = r.township_name
                changed.append(HEADER["township_name"])
        village = villages.get(r.village_code)
        if village is None:
            plan.new_villages[r.row] = r
            plan.outcomes[r.row] = ImportRow(r.row, "created")
            continue
        if village.name != r.village_name:
            changed.append(HEADER["village_name"])
        township = townships.get(r.township_code)
        if township is None or village.township_id != township.id:
            changed.append(HEADER["township_code"])
        if village.name != r.village_name or township is None or village.township_id != township.id:
            plan.changed_villages[r.row] = r
        status = "updated" if changed else "unchanged"
        plan.outcomes[r.row] = ImportRow(r.row, status, village.id, tuple(changed))
    return plan


def _conflicts(
    r: PlaceRow, county: str, village_row: dict[str, int], township_row: dict[str, tuple[int, str]]
) -> list[RowError]:
    """What refuses a row whatever the database holds: another county, a village named twice,
    a township named two ways."""
    errors = []
    if r.county_code != county:
        errors.append(
            RowError(
                HEADER["village_code"],
                "validation.county",
                f"行政村代码“{r.village_code}”不属于本县（县级代码应为{county}）",
            )
        )
    if (first := village_row.get(r.village_code)) is not None:
        errors.append(
            RowError(
                HEADER["village_code"],
                "validation.duplicate_row",
                f"与第{first}行的行政村代码相同：同一行政村只能出现一次",
            )
        )
    named = township_row.get(r.township_code)
    if named is not None and named[1] != r.township_name:
        errors.append(
            RowError(
                HEADER["township_name"],
                "validation.township_name",
                f"与第{named[0]}行的乡镇名称“{named[1]}”不一致（乡镇代码相同）",
            )
        )
    return errors
