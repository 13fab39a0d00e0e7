"""Roles and the actor who fires a trigger."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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
