"""Roles, the actor who fires a trigger, and which roles one person may hold together."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .errors import RuleViolation


class Role(StrEnum):
    AGENT = "agent"
    VILLAGE = "village"
    HR = "hr"
    FINANCE = "finance"
    ADMIN = "admin"
    SYSTEM = "system"


ROLE_LABELS = {
    Role.AGENT: "申报主体经办人",
    Role.VILLAGE: "村级核实员",
    Role.HR: "县人社局审核员",
    Role.FINANCE: "财务",
    Role.ADMIN: "系统管理员",
    Role.SYSTEM: "系统",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with roles, the villages they verify for, the organisation they file for."""

    user_id: int
    roles: frozenset[Role]
    village_ids: frozenset[int] = field(default_factory=frozenset)
    org_id: int | None = None
    name: str = ""

    def has(self, role: Role) -> bool:
        return role in self.roles


# Staff who work for the whole county: they see every village's claims, contracts and people.
COUNTY_WIDE = frozenset({Role.HR, Role.FINANCE, Role.ADMIN})


def is_county_wide(actor: Actor) -> bool:
    """HR, finance and the admin work county-wide; a village verifier only in their villages."""
    return bool(actor.roles & COUNTY_WIDE)


def sees_village(actor: Actor, village_id: int | None) -> bool:
    """Whether a staff member sees a record of this village: county staff all, a verifier theirs."""
    return is_county_wide(actor) or village_id in actor.village_ids


SYSTEM_ACTOR = Actor(user_id=0, roles=frozenset({Role.SYSTEM}), name="系统")


def check_roles_together(
    roles: Iterable[str], village_ids: Collection[int] = (), committee_village: int | None = None
) -> None:
    """Refuse roles one person may not hold together, where the process needs different people
    (RuleViolation with a stable code and the reason). ``committee_village``: the village whose
    村民委员会 the person files for as an agent, if that is what their organisation is.

    Each case's steps already refuse the same hands twice (``Step.not_by``); these pairs would
    make whole parts of the process one person's, so they are refused on the account itself."""
    held = {Role(r) for r in roles}
    if {Role.VILLAGE, Role.HR} <= held:
        raise RuleViolation(
            "roles.village_with_hr",
            "村级核实员和县人社局审核员须由不同的人担任：县人社局审核员审核全县的申请，"
            "包括本人核实过的行政村，同一人既核实又审核就少了一道把关",
        )
    if {Role.HR, Role.FINANCE} <= held:
        raise RuleViolation(
            "roles.hr_with_finance",
            "县人社局审核员和财务须由不同的人担任：审核通过的申请须由另一人确认发放",
        )
    if {Role.VILLAGE, Role.FINANCE} <= held:
        raise RuleViolation(
            "roles.village_with_finance", "村级核实员和财务须由不同的人担任：核实和发放须由不同的人办理"
        )
    if Role.AGENT in held and held & COUNTY_WIDE:
        raise RuleViolation(
            "roles.agent_with_county_staff",
            "申报主体经办人代表申报单位申请补贴，不能同时担任县人社局审核员、财务或系统管理员",
        )
    if {Role.AGENT, Role.VILLAGE} <= held and (
        committee_village is None or set(village_ids) != {committee_village}
    ):
        raise RuleViolation(
            "roles.agent_with_village",
            "申报主体经办人兼任村级核实员，只限本村村民委员会的经办人核实本村；"
            "其他申报单位的经办人不能核实申请",
        )
