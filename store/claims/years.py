"""A claim's policy year and that year's parameters: the year a claim's facts fix (refused
when filed before that day or when the claimant sent another year), why a stored claim is in
its year, and the parameters of one year or of every year."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from workflow.errors import ValidationFailed
from workflow.rules import PolicyParams
from workflow.rules.facts import ClaimFacts, facts_from_record
from workflow.rules.years import Months, YearFix, check_not_early, check_year_sent, claim_year

from ..models import Claim
from ..policy.in_force import in_force


def load_params(session: Session, year: int, why: str = "") -> PolicyParams:
    """The parameters a claim of ``year`` filed now is computed with (``in_force``: the same
    read ``version_in_force`` gives the version from, so the figures and the version agree)."""
    year_in_force = in_force(session).get(year)
    if year_in_force is None:
        because = f"（{why}）" if why else ""
        raise ValidationFailed(
            "validation.policy_year",
            f"{year}年度政策参数尚未设置{because}，暂不能申报{year}年度的补贴：请县人社局系统管理员在"
            f"“政策参数”页（或用 fuzhi policy copy）设置{year}年度参数后再提交",
            field="policy_year",
            year=year,
        )
    return year_in_force.params


def all_params(session: Session | Connection) -> dict[int, PolicyParams]:
    """Every policy year's parameters (a handful of rows: one per year)."""
    return {year: known.params for year, known in in_force(session).items()}


def months_basis(years: Mapping[int, PolicyParams], facts: ClaimFacts) -> Months:
    """The month counts that fix a claim's year: those of the policy year in force when the
    employment began (the latest year set up to then; the plan's own where none is)."""
    start = facts.employment_start
    known = sorted(y for y in years if start is None or y <= start.year)
    if not known:
        return Months()
    p = years[known[-1]]
    return Months(stable=p.stable_employment_months, absorbed=p.absorption_min_months)


def year_of(
    years: Mapping[int, PolicyParams], subsidy_type: str, sent: int | None, facts: ClaimFacts, today: date
) -> YearFix:
    """The policy year the facts fix; a claim filed before that day, or a different year sent
    by the claimant, is refused."""
    months = months_basis(years, facts)
    fix = claim_year(subsidy_type, facts, months)
    check_not_early(subsidy_type, fix, months, today)
    check_year_sent(sent, fix)
    return fix


def year_basis(session: Session, claim: Claim) -> YearFix | None:
    """Why a stored claim is in its year, as its facts say (None for facts no rule reads now)."""
    try:
        facts = facts_from_record(claim.facts)
        return claim_year(claim.subsidy_type, facts, months_basis(all_params(session), facts))
    except ValidationFailed:
        return None
