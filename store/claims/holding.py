"""Holding claims (认领): a reviewer takes a case or lets it go, the head assigns a case, takes a
hold back or moves it; each case in a transaction of its own, the hold written by a conditional
UPDATE so that of two reviewers racing for one case exactly one wins (the rules, and why a hold
lapses when the case moves on: ``workflow.review``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from workflow.errors import Conflict, DomainError, NotFound, TransitionRefused, ValidationFailed
from workflow.machines import CLAIM
from workflow.review import (
    HoldInfo,
    check_holder,
    held_by_other,
    held_refusal,
    hold_in_force,
    is_head,
    owed_step,
)
from workflow.roles import Actor, Role, sees_village

from ..access.users import actor_for
from ..db import Database
from ..models import Claim, User, UserVillage

BULK_MAX = 200  # claims one bulk action takes at most, as the bulk steps
_T = Claim.__table__
_READ = (
    _T.c.id,
    _T.c.state,
    _T.c.version,
    _T.c.village_id,
    _T.c.submitted_by,
    _T.c.verified_by,
    _T.c.reviewed_by,
    _T.c.holder_id,
    _T.c.held_at,
    _T.c.held_version,
)


@dataclass(frozen=True)
class Hold:
    """Who holds a claim now, as its page shows it."""

    holder_id: int
    holder_name: str
    held_at: datetime
    assigned_by_name: str | None  # the head who assigned it; None when taken by the holder
    mine: bool


@dataclass(frozen=True)
class HoldOutcome:
    claim_id: int
    error: str | None  # why this claim's hold was not changed; None when it was

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Assignee:
    id: int
    name: str


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    return session.scalar(select(User.display_name).where(User.id == user_id)) or f"#{user_id}"


def hold_of(session: Session, claim: Any, actor: Actor) -> Hold | None:
    """The hold on a claim (an ORM row or a row read here), if it is still in force."""
    if not hold_in_force(claim):
        return None
    assigned = getattr(claim, "assigned_by", None)
    return Hold(
        claim.holder_id,
        _name(session, claim.holder_id),
        claim.held_at,
        _name(session, assigned) if assigned else None,
        claim.holder_id == actor.user_id,
    )


def refuse_if_held(session: Session, actor: Actor, claim: Any) -> None:
    """A step by anyone but the holder of a held claim is refused, naming the holder."""
    if held_by_other(claim, actor):
        raise held_refusal(HoldInfo(claim.holder_id, _name(session, claim.holder_id), claim.held_at))


def held_filter(actor: Actor, which: str | None) -> list[ColumnElement[bool]]:
    """The inbox's 我认领的 (``mine``) and 未认领 (``free``) as conditions on the claim."""
    in_force = _T.c.held_version == _T.c.version
    if which == "mine":
        return [_T.c.holder_id == actor.user_id, in_force]
    if which == "free":
        return [or_(_T.c.holder_id.is_(None), _T.c.held_version != _T.c.version)]
    return []


def holder_join() -> ColumnElement[bool]:
    """How the inbox joins the holder's user row: only a hold in force names one."""
    return and_(User.id == Claim.holder_id, Claim.held_version == Claim.version)


def _read(session: Session, actor: Actor, claim_id: int) -> Any:
    row = session.execute(select(*_READ).where(_T.c.id == claim_id)).first()
    if row is None or not sees_village(actor, row.village_id):
        raise NotFound("not_found.claim", "未找到该申请", id=claim_id)
    return row


def _write(session: Session, row: Any, actor: Actor, where: list[Any], **values: Any) -> None:
    """The conditional UPDATE of the hold: on the version read, and ``where`` still true.
    Nothing written: someone acted or took the case between the read and the write."""
    moved = session.execute(
        update(_T).where(_T.c.id == row.id, _T.c.version == row.version, *where).values(**values)
    ).rowcount  # type: ignore[attr-defined]  # Session.execute is typed as Result even for DML
    if moved == 1:
        return
    now = session.execute(select(*_READ).where(_T.c.id == row.id)).first()
    if now is not None and held_by_other(now, actor):
        raise held_refusal(HoldInfo(now.holder_id, _name(session, now.holder_id), now.held_at))
    raise Conflict("conflict.stale", "该申请已被其他人处理或修改，请刷新后重试")


def _take(session: Session, db: Database, actor: Actor, claim_id: int) -> None:
    row = _read(session, actor, claim_id)
    check_holder(CLAIM, row, actor)
    refuse_if_held(session, actor, row)
    free = or_(_T.c.holder_id.is_(None), _T.c.held_version != _T.c.version, _T.c.holder_id == actor.user_id)
    _write(
        session,
        row,
        actor,
        [free],
        holder_id=actor.user_id,
        held_at=db.clock.now(),
        held_version=row.version,
        assigned_by=None,
    )


def _release(session: Session, db: Database, actor: Actor, claim_id: int) -> None:
    row = _read(session, actor, claim_id)
    if not hold_in_force(row):
        raise ValidationFailed("hold.not_held", "该申请无人认领")
    if row.holder_id != actor.user_id and not is_head(actor):
        raise TransitionRefused("hold.not_yours", "只能放弃自己认领的申请（负责人可收回）")
    unchanged = and_(_T.c.holder_id == row.holder_id, _T.c.held_version == row.held_version)
    _write(
        session, row, actor, [unchanged], holder_id=None, held_at=None, held_version=None, assigned_by=None
    )


def _assign(session: Session, db: Database, actor: Actor, claim_id: int, assignee: Actor) -> None:
    if not is_head(actor):
        raise TransitionRefused("hold.not_head", "只有负责人（系统管理员）可以分派申请")
    row = _read(session, actor, claim_id)
    try:
        check_holder(CLAIM, row, assignee)
    except TransitionRefused as exc:
        raise TransitionRefused(exc.code, f"不能分派给{assignee.name}：{exc.message}") from None
    same = (
        and_(_T.c.holder_id == row.holder_id, _T.c.held_version == row.held_version)
        if row.holder_id is not None
        else _T.c.holder_id.is_(None)
    )
    _write(
        session,
        row,
        actor,
        [same],
        holder_id=assignee.user_id,
        held_at=db.clock.now(),
        held_version=row.version,
        assigned_by=actor.user_id,
    )


def _each(db: Database, claim_ids: list[int], act: Callable[[Session, int], None]) -> list[HoldOutcome]:
    """One transaction per claim: each is done or refused on its own, with its own outcome."""
    outcomes = []
    for claim_id in claim_ids[:BULK_MAX]:
        try:
            with db.transaction() as session:
                act(session, claim_id)
            outcomes.append(HoldOutcome(claim_id, None))
        except DomainError as exc:
            outcomes.append(HoldOutcome(claim_id, exc.message))
    return outcomes


def take_claims(db: Database, actor: Actor, claim_ids: list[int]) -> list[HoldOutcome]:
    """认领: the actor holds each claim, unless someone else does (named in the outcome)."""
    return _each(db, claim_ids, lambda s, cid: _take(s, db, actor, cid))


def release_claims(db: Database, actor: Actor, claim_ids: list[int]) -> list[HoldOutcome]:
    """放弃 (the holder) or 收回 (the head): the claims are free again."""
    return _each(db, claim_ids, lambda s, cid: _release(s, db, actor, cid))


def assign_claims(db: Database, actor: Actor, claim_ids: list[int], assignee_id: int) -> list[HoldOutcome]:
    """The head assigns each claim to a user who may take its waiting step (or moves a hold)."""
    with db.transaction() as session:
        user = session.get(User, assignee_id)
        if user is None or not user.active:
            raise ValidationFailed("validation.assignee", "请选择要分派的人员", field="assignee")
        assignee = actor_for(session, user)
    return _each(db, claim_ids, lambda s, cid: _assign(s, db, actor, cid, assignee))


def assignees(session: Session, claim: Any | None = None) -> list[Assignee]:
    """Whom the head may assign to: the users of the role the claim waits for (a verifier of
    its village), or every HR reviewer for the inbox, by name."""
    role, village = Role.HR, None
    if claim is not None:
        step = owed_step(CLAIM, str(claim.state))
        if step is None:
            return []
        role, village = step.role, (claim.village_id if step.role is Role.VILLAGE else None)
    q = select(User.id, User.display_name, User.roles).where(User.active.is_(True))
    if village is not None:
        q = q.join(UserVillage, UserVillage.user_id == User.id).where(UserVillage.village_id == village)
    users = [Assignee(u.id, u.display_name) for u in session.execute(q) if role.value in u.roles.split(",")]
    return sorted(users, key=lambda a: (a.name, a.id))
