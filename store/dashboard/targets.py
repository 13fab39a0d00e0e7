"""The plan's targets beyond the labour force count: relocated households with someone
employed (至少一人就业), each village's 大学生公岗 and how many graduates work. Each is one
aggregate query; who counts as labour force or employed is ``employment``'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from workflow.dates import add_months
from workflow.labour import WorkingAge, month_index
from workflow.pii import Vault
from workflow.states import ContractState

from ..models import Contract, Person, Post, Township, Village
from .employment import employed_in, has_group, in_labour_force
from .scope import Scope, count_if

K = ContractState
RELOCATED = "relocated"
GRADUATE_WAIT_MONTHS = 6  # the 大学生公岗 goes first to graduates out of school this long


@dataclass(frozen=True)
class Household:
    household_no: str
    village_id: int
    village: str
    members: int
    labour: int
    employed: int
    names: str  # every member
    labour_names: str = ""  # the labour-force members, each with their masked ID number

    @property
    def needs_work(self) -> bool:
        """Has labour, but nobody employed: the plan wants at least one (至少一人就业)."""
        return self.labour > 0 and self.employed == 0


def relocated_households(
    session: Session, vault: Vault, scope: Scope, ages: WorkingAge, today: date
) -> list[Household]:
    """Relocated persons (易地搬迁人口) grouped by household number (a person without one is a
    household of their own): members, labour force today, members employed this month
    (confirmed)."""
    key = func.coalesce(Person.household_no, literal("#") + cast(Person.id, String))
    employed = employed_in(month_index(today))
    labour = in_labour_force(ages, today)
    # The labour-force members by id: their masked numbers are made below, as the last digits
    # are kept only encrypted (workflow.identity).
    masked = cast(Person.id, String)
    members = (
        select(
            key.label("household"),
            Person.village_id.label("village_id"),
            Person.name.label("name"),
            case((labour, masked), else_=None).label("labour_name"),
            case((labour, 1), else_=0).label("labour"),
            case((and_(labour, employed.c.confirmed == 1), 1), else_=0).label("employed"),
        )
        .outerjoin(employed, employed.c.person_id == Person.id)
        .where(has_group(RELOCATED), scope.where(Person.village_id))
        .subquery()
    )
    grouped = (
        select(
            members.c.household,
            func.min(members.c.village_id).label("village_id"),
            func.count().label("members"),
            func.sum(members.c.labour).label("labour"),
            func.sum(members.c.employed).label("employed"),
            func.aggregate_strings(members.c.name, "、").label("names"),
            func.aggregate_strings(members.c.labour_name, ",").label("labour_names"),
        )
        .group_by(members.c.household)
        .subquery()
    )
    q = (
        select(
            grouped.c.household,
            grouped.c.village_id,
            Village.name,
            grouped.c.members,
            grouped.c.labour,
            grouped.c.employed,
            grouped.c.names,
            grouped.c.labour_names,
        )
        .join(Village, Village.id == grouped.c.village_id)
        .order_by(grouped.c.household)
    )
    found = session.execute(q).all()
    named = _masked(session, vault, {int(i) for row in found if row[7] for i in row[7].split(",")})
    return [
        Household(h, v, village, n, int(lab), int(emp), who or "", _names(named, lab_who))
        for h, v, village, n, lab, emp, who, lab_who in found
    ]


def _masked(session: Session, vault: Vault, ids: set[int]) -> dict[int, str]:
    """``扎西（**************123X）`` of each person: the last digits are decrypted."""
    out: dict[int, str] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 1000):
        part = wanted[start : start + 1000]
        q = select(Person.id, Person.name, Person.id_number_enc).where(Person.id.in_(part))
        out.update({pid: f"{name}（{'*' * 14}{vault.tail(enc)}）" for pid, name, enc in session.execute(q)})
    return out


def _names(named: dict[int, str], ids: str | None) -> str:
    return "、".join(named[i] for i in sorted({int(x) for x in (ids or "").split(",") if x}) if i in named)


@dataclass(frozen=True)
class VillagePosts:
    village_id: int
    village: str
    township: str
    graduate_posts: int
    graduate_filled: int  # graduate posts with an active contract


def graduate_posts(session: Session, scope: Scope) -> list[VillagePosts]:
    """Every village of the scope with its 大学生公岗 (Post.graduate_post), set up and filled."""
    posts = (
        select(func.count())
        .select_from(Post)
        .where(Post.village_id == Village.id, Post.graduate_post.is_(True))
        .correlate(Village)
        .scalar_subquery()
    )
    filled = (
        select(func.count(func.distinct(Contract.post_id)))
        .select_from(Contract)
        .join(Post, Post.id == Contract.post_id)
        .where(Post.village_id == Village.id, Post.graduate_post.is_(True), Contract.state == K.ACTIVE)
        .correlate(Village)
        .scalar_subquery()
    )
    q = (
        select(Village.id, Village.name, Township.name, posts, filled)
        .join(Township, Township.id == Village.township_id)
        .where(scope.where(Village.id))
        .order_by(Village.code)
    )
    return [VillagePosts(*row) for row in session.execute(q)]


@dataclass(frozen=True)
class Graduates:
    total: int = 0
    employed: int = 0
    unemployed: int = 0
    unemployed_long: int = 0  # out of school GRADUATE_WAIT_MONTHS or more, still unemployed


def graduates(session: Session, scope: Scope, today: date) -> Graduates:
    """Persons who left a university (graduate_left_school), employed this month or not."""
    cutoff = add_months(today, -GRADUATE_WAIT_MONTHS)
    employed_now = employed_in(month_index(today))
    employed = employed_now.c.confirmed == 1
    idle = or_(employed_now.c.confirmed.is_(None), employed_now.c.confirmed == 0)
    q = (
        select(
            func.count(),
            count_if(employed),
            count_if(idle),
            count_if(and_(idle, Person.graduate_left_school <= cutoff)),
        )
        .outerjoin(employed_now, employed_now.c.person_id == Person.id)
        .where(Person.graduate_left_school.is_not(None), scope.where(Person.village_id))
    )
    total, emp, unemp, long = session.execute(q).one()
    return Graduates(int(total), int(emp), int(unemp), int(long))
