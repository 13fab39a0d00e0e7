"""Editing a public-welfare post (title, monthly subsidy, places), each edit recorded (who,
when, old → new).

When a new monthly subsidy applies: to the contracts proposed on the post from then on, renewals
included. A contract is an agreement with its monthly amount written in it (and printed on the
协议), so contracts already proposed keep theirs: every month of them, claimed or not yet, is
paid from the contract's own amount, and a claim already filed keeps the amount it was given.
Places can never drop below the places the post's contracts hold from today on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, selectinload

from workflow.errors import NotFound, RuleViolation, TransitionRefused
from workflow.money import yuan
from workflow.roles import Actor, Role

from ..db import Database
from ..models import Contract, Post
from .lifecycle import HOLDING
from .models import PostChange
from .posts import checked_post_fields

EDITORS = frozenset({Role.HR, Role.ADMIN})


@dataclass(frozen=True)
class PostEdit:
    title: str
    monthly_subsidy: Decimal
    places: int


@dataclass(frozen=True)
class PostEditView:
    post: Post
    taken: int  # people holding or booked on it from today on: the fewest places it may have
    holding: list[Contract]  # those contracts, each paid from its own monthly amount
    history: list[PostChange]


def _require_editor(actor: Actor) -> None:
    if not actor.roles & EDITORS:
        raise TransitionRefused("posts.hr_or_admin_only", "只有县人社局审核员或系统管理员可以修改公益性岗位")


def _post(session: Session, post_id: int, lock: bool = False) -> Post:
    post = session.scalar(
        select(Post).where(Post.id == post_id).options(selectinload(Post.village)).with_for_update(of=Post)
        if lock
        else select(Post).where(Post.id == post_id).options(selectinload(Post.village))
    )
    if post is None:
        raise NotFound("not_found.post", "岗位不存在", id=post_id)
    return post


def _holding(session: Session, post_id: int, today: date) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract)
            .where(
                Contract.post_id == post_id,
                Contract.state.in_([s.value for s in HOLDING]),
                Contract.end_date >= today,
            )
            .options(selectinload(Contract.person))
            .order_by(Contract.start_date, Contract.id)
        )
    )


def _taken(session: Session, post_id: int, today: date) -> int:
    """As the posts page counts them: distinct people holding or booked on it from today on."""
    return (
        session.scalar(
            select(func.count(distinct(Contract.person_id))).where(
                Contract.post_id == post_id,
                Contract.state.in_([s.value for s in HOLDING]),
                Contract.end_date >= today,
            )
        )
        or 0
    )


def _checked(post: Post, inp: PostEdit, taken: int) -> PostEdit:
    title = checked_post_fields(inp.title, inp.monthly_subsidy, inp.places)
    if post.graduate_post and inp.places != 1:
        raise RuleViolation("rule.graduate_post_places", "大学生公岗每村1个，名额只能为1个")
    if inp.places < taken:
        raise RuleViolation(
            "rule.places_below_taken",
            f"该岗位有{taken}人在岗或协议在办，名额不能少于{taken}个",
            taken=taken,
        )
    return PostEdit(title, yuan(inp.monthly_subsidy), inp.places)


def post_edit_view(db: Database, actor: Actor, post_id: int) -> PostEditView:
    _require_editor(actor)
    today = db.clock.now().date()
    with db.transaction() as session:
        post = _post(session, post_id)
        history = list(
            session.scalars(
                select(PostChange).where(PostChange.post_id == post_id).order_by(PostChange.id.desc())
            )
        )
        return PostEditView(post, _taken(session, post_id, today), _holding(session, post_id, today), history)


def edit_post(db: Database, actor: Actor, post_id: int, inp: PostEdit) -> bool:
    """Store the edit and record each field old → new; False when nothing changed."""
    _require_editor(actor)
    today = db.clock.now().date()
    with db.transaction() as session:
        post = _post(session, post_id, lock=True)
        new = _checked(post, inp, _taken(session, post_id, today))
        changes = [
            {"field": field, "old": str(old), "new": str(value)}
            for field, old, value in (
                ("title", post.title, new.title),
                ("monthly_subsidy", yuan(post.monthly_subsidy), new.monthly_subsidy),
                ("places", post.places, new.places),
            )
            if str(old) != str(value)
        ]
        if not changes:
            return False
        post.title, post.monthly_subsidy, post.places = new.title, new.monthly_subsidy, new.places
        session.add(
            PostChange(
                post_id=post.id,
                actor_id=actor.user_id,
                actor_name=actor.name or "",
                at=db.clock.now(),
                changes=changes,
            )
        )
        return True
