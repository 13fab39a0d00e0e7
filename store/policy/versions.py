"""Policy years as the bureau's data: see them, copy the last into the next (or create one from
the plan's figures), edit a figure.

Each edit makes a new parameter set (``PolicyParamsVersion``) that the year then points at, and
logs every changed figure (who, when, old → new). Claims keep the set they were computed with.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.errors import Conflict, NotFound, TransitionRefused, ValidationFailed
from workflow.roles import Actor, Role
from workflow.rules import PolicyParams, limits
from workflow.rules.figures import (
    BUREAU_FIGURES,
    BY_NAME,
    USED_BY,
    Shown,
    figure,
    parse,
    render,
    shown,
    with_value,
)
from workflow.rules.params import plan_defaults

from ..db import Database
from ..models import PolicyYear
from .in_force import forget_in_force, in_force
from .models import PolicyChange, PolicyParamsVersion

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class YearView:
    year: int
    params: PolicyParams
    confirmed: frozenset[str]
    version_id: int
    version_no: int
    figures: list[Shown]
    changes: list[PolicyChange]


@dataclass(frozen=True)
class ClaimFigures:
    """The figures a claim's amount was computed with, from its own parameter set."""

    year: int
    version_no: int
    figures: list[Shown]


def _require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise TransitionRefused("policy.admin_only", "只有系统管理员可以设置政策年度参数")


def version_in_force(session: Session, year: int) -> int | None:
    """The set a claim of ``year`` filed now is computed with: the one ``load_params`` read
    (both read ``in_force``, once per transaction, so they agree)."""
    year_in_force = in_force(session).get(year)
    return year_in_force.version_id if year_in_force is not None else None


def years(session: Session) -> list[int]:
    return list(session.scalars(select(PolicyYear.year).order_by(PolicyYear.year)))


def years_missing(session: Session, today: date) -> list[int]:
    """Years claims are about to need with no parameters: this one, and from 1 December the next."""
    wanted = [today.year] + ([today.year + 1] if today.month == 12 else [])
    have = set(session.scalars(select(PolicyYear.year).where(PolicyYear.year.in_(wanted))))
    return [y for y in wanted if y not in have]


def _version_no(session: Session, version: PolicyParamsVersion) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                PolicyParamsVersion.year == version.year, PolicyParamsVersion.id <= version.id
            )
        )
        or 1
    )


def _year_row(session: Session, year: int, lock: bool = False) -> PolicyYear:
    row = session.get(PolicyYear, year, with_for_update=lock or None)
    if row is None:
        raise NotFound("not_found.policy_year", f"{year}年度政策参数尚未设置", year=year)
    return row


def view(session: Session, year: int) -> YearView:
    row = _year_row(session, year)
    version = session.get_one(PolicyParamsVersion, row.current_version_id)
    params = PolicyParams.from_record(version.params)
    confirmed = frozenset(version.confirmed)
    changes = list(
        session.scalars(
            select(PolicyChange).where(PolicyChange.year == year).order_by(PolicyChange.id.desc())
        )
    )
    return YearView(
        year, params, confirmed, version.id, _version_no(session, version), shown(params, confirmed), changes
    )


def claim_figures(session: Session, version_id: int | None, subsidy_type: str) -> ClaimFigures | None:
    """The figures of the claim's own set. A figure the plan does not give counts as confirmed
    once the bureau has confirmed that same value for the year, in this set or a later one."""
    if version_id is None:
        return None
    version = session.get_one(PolicyParamsVersion, version_id)
    params = PolicyParams.from_record(version.params)
    confirmed = set(version.confirmed)
    for later in session.scalars(
        select(PolicyParamsVersion).where(
            PolicyParamsVersion.year == version.year, PolicyParamsVersion.id > version.id
        )
    ):
        later_params = PolicyParams.from_record(later.params)
        confirmed |= {n for n in later.confirmed if getattr(later_params, n) == getattr(params, n)}
    names = USED_BY.get(subsidy_type, ())
    return ClaimFigures(
        version.year, _version_no(session, version), shown(params, frozenset(confirmed), names)
    )


def _new_version(
    session: Session,
    db: Database,
    actor: Actor,
    row: PolicyYear,
    params: PolicyParams,
    confirmed: Collection[str],
) -> PolicyParamsVersion:
    version = PolicyParamsVersion(
        year=row.year,
        params=params.to_record(),
        confirmed=sorted(confirmed),
        created_at=db.clock.now(),
        created_by=actor.user_id,
    )
    session.add(version)
    session.flush()
    row.params, row.current_version_id = version.params, version.id
    forget_in_force(session)
    return version


def _log(
    session: Session,
    db: Database,
    actor: Actor,
    version: PolicyParamsVersion,
    action: str,
    field: str | None,
    old: str | None,
    new: str,
) -> None:
    session.add(
        PolicyChange(
            year=version.year,
            version_id=version.id,
            action=action,
            field=field,
            old_value=old,
            new_value=new,
            at=db.clock.now(),
            actor_id=actor.user_id,
            actor_name=actor.name or str(actor.user_id),
        )
    )


def _check_year(year: int, field: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed(
            "validation.policy_year", f"年度须在{FIRST_YEAR}到{LAST_YEAR}之间", field=field
        )


def copy_year(db: Database, actor: Actor, source: int, target: int) -> YearView:
    """Create ``target`` with the figures of ``source``. The bureau's own figures (those the plan
    does not give) start unconfirmed: the new year's amounts are the bureau's to confirm."""
    _require_admin(actor)
    _check_year(source, "from_year")
    _check_year(target, "to_year")
    with db.transaction() as s:
        base = _year_row(s, source)
        params = PolicyParams.from_record({**base.params, "year": target})
        _add_year(s, db, actor, params, "copy", f"复制{source}年度参数", "to_year")
    with db.transaction() as s:
        return view(s, target)


def create_year(db: Database, actor: Actor, year: int) -> YearView:
    """Create ``year`` from the plan's figures (``plan_defaults``): how a county's first year is
    made, when there is none to copy. The bureau's own figures start unconfirmed."""
    _require_admin(actor)
    _check_year(year, "year")
    with db.transaction() as s:
        _add_year(s, db, actor, plan_defaults(year), "create", "按方案标准创建", "year")
    with db.transaction() as s:
        return view(s, year)


def _add_year(
    s: Session, db: Database, actor: Actor, params: PolicyParams, action: str, note: str, field: str
) -> None:
    if s.get(PolicyYear, params.year) is not None:
        raise ValidationFailed(
            "validation.policy_year_exists", f"{params.year}年度政策参数已存在，请直接修改", field=field
        )
    row = PolicyYear(year=params.year, params=params.to_record(), created_at=db.clock.now())
    s.add(row)
    s.flush()  # its version 1 is written with it (policy_models._first_version)
    forget_in_force(s)
    version = s.get_one(PolicyParamsVersion, row.current_version_id)
    version.created_by = actor.user_id
    _log(s, db, actor, version, action, None, None, note)


def set_figures(
    db: Database,
    actor: Actor,
    year: int,
    values: Mapping[str, object],
    confirm: Collection[str] = (),
    seen_version: int | None = None,
) -> YearView:
    """Change figures of ``year`` (raw text per field) and confirm bureau figures, as one new
    set. Every value is checked first; the first error names its field."""
    _require_admin(actor)
    parsed = {name: parse(name, raw) for name, raw in values.items()}
    for name in confirm:
        if figure(name).plan is not None:
            raise ValidationFailed(
                "validation.policy_confirm", f"“{BY_NAME[name].label}”是方案规定的标准，无需确认", field=name
            )
    with db.transaction() as s:
        row = _year_row(s, year, lock=True)
        if seen_version is not None and row.current_version_id != seen_version:
            raise Conflict("conflict.policy_version", f"{year}年度参数已被他人修改，请刷新后重新填写")
        current = s.get_one(PolicyParamsVersion, row.current_version_id)
        old = PolicyParams.from_record(current.params)
        new = old
        changed = [n for n, v in parsed.items() if getattr(old, n) != v]
        for name in changed:
            new = with_value(new, name, parsed[name])
        clash = limits.inconsistent(new.claim_ceilings, new.second_approval_above)
        if clash:
            raise ValidationFailed("validation.limits", clash, field="second_approval_above")
        confirmed = set(current.confirmed) - set(changed)  # a new amount is confirmed anew
        newly = {n for n in confirm if n not in confirmed}
        if not changed and not newly:
            return view(s, year)
        version = _new_version(s, db, actor, row, new, confirmed | newly)
        for name in changed:
            f = BY_NAME[name]
            _log(
                s,
                db,
                actor,
                version,
                "set",
                name,
                render(f, getattr(old, name)),
                render(f, getattr(new, name)) + ("（已确认）" if name in newly else ""),
            )
        for name in sorted(newly - set(changed)):
            value = render(BY_NAME[name], getattr(new, name))
            _log(s, db, actor, version, "confirm", name, f"{value}（待确认）", f"{value}（已确认）")
    with db.transaction() as s:
        return view(s, year)


def unconfirmed(view_: YearView) -> list[str]:
    return [n for n in BUREAU_FIGURES if n not in view_.confirmed]


def change_rows(changes: list[PolicyChange]) -> list[dict[str, Any]]:
    """The log as the page and the command line show it."""
    return [
        {
            "at": c.at,
            "who": c.actor_name,
            "action": c.action,
            "label": BY_NAME[c.field].label if c.field in BY_NAME else "全部参数",
            "old": c.old_value,
            "new": c.new_value,
        }
        for c in changes
    ]
