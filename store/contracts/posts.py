"""Posts per village: setting one up, the places taken, and the contracts staff look through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, distinct, func, select
from sqlalchemy.orm import Session, selectinload

from workflow.errors import RuleViolation, TransitionRefused, ValidationFailed
from workflow.pii import Vault
from workflow.roles import Actor, Role, is_county_wide, sees_village
from workflow.states import ContractState, renewal_label

from ..claims.worklist import villages_of
from ..models import Contract, Person, Post, Village
from ..people.tails import tail_hashes, tail_matches
from .lifecycle import HOLDING

MAX_PLACES = 999
ENDING_SOON_DAYS = 30
PAGE = 50


@dataclass(frozen=True)
class PostInput:
    village_id: int
    title: str
    monthly_subsidy: Decimal
    places: int = 1
    graduate_post: bool = False  # 大学生公岗


@dataclass(frozen=True)
class PostRow:
    post: Post
    taken: int  # people holding or booked on it from today on

    @property
    def free(self) -> int:
        return max(self.post.places - self.taken, 0)


@dataclass(frozen=True)
class VillagePosts:
    village: Village
    posts: list[PostRow]

    @property
    def has_graduate_post(self) -> bool:
        return any(row.post.graduate_post for row in self.posts)


@dataclass(frozen=True)
class ContractFilter:
    state: str | None = None
    village_id: int | None = None
    page: int = 1


@dataclass(frozen=True)
class ContractPage:
    rows: list[Contract]
    page: int
    more: bool


def checked_post_fields(title: str, monthly_subsidy: Decimal, places: int) -> str:
    """A post's title (trimmed), monthly subsidy and places as a new or edited post must have
    them; the title as kept. Raises ``ValidationFailed`` naming the field."""
    title = title.strip()
    if not title:
        raise ValidationFailed("validation.required", "缺少“岗位名称”", field="title")
    if len(title) > 50:
        raise ValidationFailed("validation.too_long", "“岗位名称”不能超过50个字", field="title")
    if monthly_subsidy < 0:
        raise ValidationFailed("validation.negative_amount", "“月补贴”不能为负数", field="monthly_subsidy")
    if not 1 <= places <= MAX_PLACES:
        raise ValidationFailed("validation.places", f"名额须为1至{MAX_PLACES}个", field="places")
    return title


def create_post(session: Session, actor: Actor, inp: PostInput) -> Post:
    """按需设岗: a post in one village; 1村1个大学生公岗, so at most one graduate post each."""
    if Role.HR not in actor.roles:
        raise TransitionRefused("transition.not_your_role", "公益性岗位由县人社局设立")
    title = checked_post_fields(inp.title, inp.monthly_subsidy, inp.places)
    if session.get(Village, inp.village_id) is None:
        raise ValidationFailed("validation.village", "行政村不存在", field="village_id")
    if inp.graduate_post:
        if inp.places != 1:
            raise RuleViolation("rule.graduate_post_places", "大学生公岗每村1个，名额只能为1个")
        existing = session.scalar(
            select(Post.id).where(Post.village_id == inp.village_id, Post.graduate_post.is_(True))
        )
        if existing is not None:
            raise RuleViolation(
                "rule.one_graduate_post_per_village", "每村只设1个大学生公岗，本村已设立", post_id=existing
            )
    post = Post(
        village_id=inp.village_id,
        title=title,
        monthly_subsidy=inp.monthly_subsidy,
        places=inp.places,
        graduate_post=inp.graduate_post,
    )
    session.add(post)
    session.flush()
    return post


def posts_by_village(
    session: Session, actor: Actor, today: date, village_id: int | None = None
) -> list[VillagePosts]:
    """Every village the actor answers for, with its posts and how many places are taken."""
    villages = [v for v in villages_of(session, actor) if village_id in (None, v.id)]
    ids = [v.id for v in villages]
    posts = (
        list(
            session.scalars(
                select(Post)
                .where(Post.village_id.in_(ids))
                .order_by(Post.village_id, Post.graduate_post, Post.title, Post.id)
            )
        )
        if ids
        else []
    )
    counted = (
        select(Contract.post_id, func.count(distinct(Contract.person_id)))
        .where(Contract.post_id.in_([p.id for p in posts]), _holding(today))
        .group_by(Contract.post_id)
    )
    taken: dict[int, int] = {post_id: n for post_id, n in session.execute(counted)} if posts else {}
    grouped: dict[int, list[PostRow]] = {v.id: [] for v in villages}
    for post in posts:
        grouped[post.village_id].append(PostRow(post, taken.get(post.id, 0)))
    return [VillagePosts(v, grouped[v.id]) for v in villages]


def visible_post(session: Session, actor: Actor, post_id: int) -> Post | None:
    post = session.scalar(select(Post).where(Post.id == post_id).options(selectinload(Post.village)))
    if post is None or not sees_village(actor, post.village_id):
        return None
    return post


def people_for_post(session: Session, vault: Vault, post: Post, q: str, limit: int = 20) -> list[Person]:
    """People of the post's village found by the last digits of their ID number or their name."""
    text = q.strip()
    if not text:
        return []
    query = select(Person).where(Person.village_id == post.village_id)
    tail = text.upper()
    if tail.isdigit() or (tail[:-1].isdigit() and tail.endswith("X")):
        if len(tail) > 4:
            raise ValidationFailed("validation.search", "身份证号只能按末尾最多4位查询", field="q")
        query = query.where(tail_matches(tail_hashes(vault, tail)))
    else:
        query = query.where(Person.name >= text, Person.name < text + "\U0010ffff")
    return list(session.scalars(query.order_by(Person.name, Person.id).limit(limit)))


def holding_people(session: Session, person_ids: list[int], today: date) -> set[int]:
    """Of these people, those already on a post (or proposed for one) from today on."""
    if not person_ids:
        return set()
    return set(
        session.scalars(select(Contract.person_id).where(Contract.person_id.in_(person_ids), _holding(today)))
    )


def contracts_query(actor: Actor, f: ContractFilter) -> Select[Contract]:
    """The contracts the list shows this staff member with these filters (unordered)."""
    query = _scope(select(Contract), actor)
    if f.state:
        query = query.where(Contract.state == f.state)
    if f.village_id:
        query = query.where(Contract.village_id == f.village_id)
    return query


def list_contracts(session: Session, actor: Actor, f: ContractFilter, per_page: int = PAGE) -> ContractPage:
    query = contracts_query(actor, f)
    page = max(f.page, 1)
    rows = list(
        session.scalars(
            query.options(selectinload(Contract.person), selectinload(Contract.post))
            .order_by(Contract.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return ContractPage(rows[:per_page], page, len(rows) > per_page)


def ending_within(
    session: Session, actor: Actor, today: date, days: int = ENDING_SOON_DAYS
) -> list[Contract]:
    """Active contracts whose term ends between today and ``days`` from now, soonest first."""
    query = _scope(select(Contract), actor).where(
        Contract.state == ContractState.ACTIVE.value,
        Contract.end_date >= today,
        Contract.end_date <= today + timedelta(days=days),
    )
    return list(
        session.scalars(
            query.options(selectinload(Contract.person), selectinload(Contract.post)).order_by(
                Contract.end_date, Contract.id
            )
        )
    )


def renewals(session: Session, contracts: list[Contract]) -> dict[int, str]:
    """Each renewed contract's renewal as its successor stands (``renewal_label``), in one query:
    a successor only proposed is 续签待审, never 已续签."""
    successors = {k.successor_id: k.id for k in contracts if k.successor_id}
    if not successors:
        return {}
    states = session.execute(select(Contract.id, Contract.state).where(Contract.id.in_(list(successors))))
    return {successors[sid]: renewal_label(state) for sid, state in states}


def days_left(contract: Contract, today: date) -> int | None:
    """Days until an active contract's last day (0 on the day itself); None when not active."""
    if contract.state != ContractState.ACTIVE.value or contract.end_date < today:
        return None
    return (contract.end_date - today).days


def _holding(today: date) -> ColumnElement[bool]:
    return and_(Contract.state.in_([s.value for s in HOLDING]), Contract.end_date >= today)


def _scope(query: Select[Contract], actor: Actor) -> Select[Contract]:
    if is_county_wide(actor):
        return query
    return query.where(Contract.village_id.in_(actor.village_ids))
