"""What is planned before it is replayed: the places, people and organisations as the planner
sees them, and each claim's and contract's acts with their times and actors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workflow.roles import Actor


@dataclass(eq=False)
class VillageRow:
    id: int
    name: str
    slug: str
    township: str
    code: str


@dataclass(eq=False)
class PersonRow:
    id: int
    name: str
    village: VillageRow
    groups: frozenset[str]
    labour: str
    male: bool
    age: int
    graduate_left: date | None


@dataclass(eq=False)
class OrgRow:
    id: int
    name: str
    agent: Actor | None = None


@dataclass(eq=False)
class Act:
    trigger: str
    at: datetime
    actor: Actor
    comment: str | None = None  # for "insure", the policy number


@dataclass(eq=False)
class ClaimPlan:
    subsidy_type: str
    person: PersonRow
    org: OrgRow
    state: str
    acts: list[Act]  # the first is the filing
    contract: ContractPlan | None = None
    month: date | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(eq=False)
class PostRow:
    id: int
    village: VillageRow
    title: str
    places: int
    graduate: bool


@dataclass(eq=False)
class ContractPlan:
    post: PostRow
    person: PersonRow
    start: date
    end: date
    kind: str
    proposer: Actor
    propose_at: datetime | None  # None: proposed by its predecessor's renewal
    acts: list[Act] = field(default_factory=list)
    successor: ContractPlan | None = None
    id: int | None = None

    def act_at(self, trigger: str) -> datetime | None:
        return next((a.at for a in self.acts if a.trigger == trigger), None)

    @property
    def last_day(self) -> date:
        ended = self.act_at("terminate")
        return ended.date() if ended else self.end
