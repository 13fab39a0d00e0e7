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


SYSTEM_ACTOR = Actor(user_id=0, roles=frozenset({Role.SYSTEM}), name="系统")
