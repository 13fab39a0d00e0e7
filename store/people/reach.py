"""An agent's reach: the people its organisation may read and act for, and how it names them.

An agent **reads** a person (birth date, sex, village, target groups, masked bank account)
only if its organisation registered the person or has filed a claim for them. It may **act**
for them, i.e. name them by their sequential id in a claim, in those cases and when it is
linked to them (it registered the person again, giving the same name and full resident ID).
For anyone else an agent names the person by the full resident ID (居民身份证号) in the request
body, matched by the keyed hash stored with the person; and a person id outside its reach is
answered exactly like an id nobody has (same status, same body), so counting through the
numbers tells it nothing.

Staff (village, HR, finance) never come here: their reach is their role and their villages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, exists, literal_column, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.errors import NotFound, ValidationFailed
from workflow.roles import Actor

from ..access.throttle import Window, limit
from ..audit.events import looked_up
from ..base import as_written
from ..db import Database
from ..models import Claim, Person, Village
from .persons import PersonInput, checked_values, find_or_create_person, find_person, new_person
from .reach_models import PersonLink

__all__ = [
    "PersonRef",
    "acts_for",
    "lookup_person",
    "person_for_agent",
    "reads",
    "register_person",
]


@dataclass(frozen=True)
class PersonRef:
    """How a request names a person: by id, or by the full resident ID (never in a repr, so a
    traceback or a log line cannot carry it)."""

    person_id: int | None = None
    id_number: str | None = field(default=None, repr=False)


def _nobody() -> NotFound:
    # The one answer for a person id that does not exist and for one outside the agent's
    # reach: no detail (not even the id) that could tell the two apart.
    return NotFound("not_found.person", "未找到该人员")


# Look-ups by resident ID (a look-up, or a registration that meets someone registered) per
# agent: enough for an office filing by hand, too few to sweep the register.
LOOK_UPS = Window(30, timedelta(minutes=1))


def count_look_up(db: Database, actor: Actor) -> None:
    """One look-up by resident ID counted for the user (committed, whatever it finds), or 429
    (``Throttled``). Agents' look-ups here; staff's searches by a whole ID number too."""
    limit(
        db,
        f"lookup:{actor.user_id}",
        LOOK_UPS,
        "lookup.rate_limited",
        "按身份证号查找过于频繁（每分钟最多30次），请{seconds}秒后再试",
    )


def _unknown_id_number() -> NotFound:
    return NotFound("not_found.person", "未找到该身份证号对应的人员，请先登记")


# Built once with bound values: building a statement costs more CPU than running it here.
_REGISTERED_OR_CLAIMED = [
    exists().where(Person.id == bindparam("person"), Person.registered_by_org_id == bindparam("org")),
    # "+ 0": the person's few claims by their index, not the organisation's thousands by theirs
    # (SQLite's planner, without statistics, takes the organisation's otherwise).
    exists().where(Claim.person_id == bindparam("person"), Claim.claimant_org_id + 0 == bindparam("org")),
]
_READS = select(or_(*_REGISTERED_OR_CLAIMED))
_VILLAGE_BY_CODE = select(Village.id, Village.township_id, Village.code, Village.name).where(
    Village.code == bindparam("code")
)
_REGISTER: dict[tuple[str, tuple[str, ...]], Any] = {}  # per dialect and columns, built once
_ACTS_FOR = select(
    or_(
        *_REGISTERED_OR_CLAIMED,
        exists().where(PersonLink.person_id == bindparam("person"), PersonLink.org_id == bindparam("org")),
    )
)


def reads(session: Session, org_id: int | None, person_id: int) -> bool:
    """Whether the organisation sees the person's record: it registered them or claimed for them."""
    if org_id is None:
        return False
    return bool(session.scalar(_READS, {"person": person_id, "org": org_id}))


def acts_for(session: Session, org_id: int | None, person_id: int) -> bool:
    """Whether the organisation may name the person by id: it reads them, or is linked to them."""
    if org_id is None:
        return False
    return bool(session.scalar(_ACTS_FOR, {"person": person_id, "org": org_id}))


def _loaded(person: Person) -> Person:
    """The person with its village loaded, for a view built after the session closes."""
    assert person.village is not None
    return person


def person_for_agent(db: Database, actor: Actor, person_id: int) -> Person:
    """A person the agent reads; anyone else (or nobody) is not found, all alike."""
    with db.transaction() as session:
        person = session.get(Person, person_id)
        if person is None or not reads(session, actor.org_id, person_id):
            raise _nobody()
        return _loaded(person)


def lookup_person(db: Database, actor: Actor, id_number: str) -> Person:
    """A person the agent reads, found by full resident ID. A registered person outside its
    reach is answered like an unregistered one: a lookup is a bare read, and reads stay within
    reach. (To act for such a person the agent registers them or files a claim by ID.) Counted
    per agent (``LOOK_UPS``)."""
    count_look_up(db, actor)
    with db.transaction() as session:
        person = find_person(session, db, id_number)
        if person is not None and not reads(session, actor.org_id, person.id):
            person = None  # outside its reach: answered as an unregistered number
        looked_up(session, db, actor, person.id if person is not None else None, "api")
        if person is not None:
            return _loaded(person)
    raise _unknown_id_number()  # after the commit: a look-up that found nobody is audited too


def register_person(
    db: Database,
    actor: Actor,
    data: PersonInput,
    village_code: str,
    committed: Callable[[Any, int, bool], None] | None = None,
) -> tuple[Person, bool]:
    """Register a person for the agent's organisation: (the person, whether newly created).
    ``data.village_id`` is ignored: the village is the one ``village_code`` names.

    A person already registered (by another organisation, by staff, or by this one) is not
    registered twice. What a labour broker expects then is to go on working for the person it
    brought: so, if the name matches the one on record, its organisation is linked to the
    person and may name them by id in claims from now on, without keeping the full resident ID
    in its own files. It gets back only the id, the name it gave and the masked ID number (see
    the API's PersonLinkOut), never what others recorded (village, groups, bank account):
    those it reads once it has filed a claim, like any claimant. Knowing name and full ID is
    what filing a claim by ID needs anyway, so the link gives no reach a claim would not.
    A name that does not match is refused: that tells a caller holding a full, valid resident
    ID that the number is registered, which no registration could avoid.

    ``committed`` (person id, whether created) is called in the registration's transaction: an
    Idempotency-Key notes it there, so a retry after a crash answers what was done.
    """
    values = checked_values(db, data)  # before anything is read: the fields are the caller's
    values["registered_by_org_id"] = actor.org_id
    del values["village_id"]  # the one the code names, found by the insert itself
    with db.transaction() as session:
        conn = session.connection()
        # The fast path relies on the unique hash to meet a registered number; while a key
        # rotation runs, a row not yet re-hashed holds the older hash, so look it up first.
        rotating = len(db.vault.ring) > 1
        row = (
            None
            if rotating
            else conn.execute(
                _register(conn, tuple(values)), {**values, "village_code": village_code}
            ).first()
        )
        if row is not None:  # as written: nothing to read again
            fields = dict(row._mapping)
            home = {"id": fields["village_id"], "code": village_code}
            home.update(name=fields.pop("village_name"), township_id=fields.pop("village_township_id"))
            if committed is not None:
                committed(session, fields["id"], True)
            return as_written(Person, {**fields, "village": as_written(Village, home)}), True
        # No village by that code, or the ID number registered already (or a moment ago, by
        # someone else): then the same-name check and the link.
        village = conn.execute(_VILLAGE_BY_CODE, {"code": village_code}).first()
        if village is None:
            raise ValidationFailed(
                "validation.village", f"行政村代码“{village_code}”不存在", field="village_code"
            )
        person, created = find_or_create_person(
            session, db, replace(data, village_id=village.id, registered_by_org_id=actor.org_id)
        )
        if not created:
            _link(session, db, person, actor)
        if committed is not None:
            session.flush()
            committed(session, person.id, created)
        return _loaded(person), created


def _register(conn: Connection, columns: tuple[str, ...]) -> Any:
    """The new person's insert in one statement: the village found by its code in the same
    statement (no row inserted if there is none), every column returned with the village's
    name. Built once per dialect (building it costs more than running it)."""
    key = (conn.dialect.name, columns)
    if key not in _REGISTER:
        table = Person.__table__
        source = select(*(bindparam(c, type_=table.c[c].type) for c in columns), Village.id).where(
            Village.code == bindparam("village_code")
        )
        # Written out: SQLAlchemy does not correlate a subquery of RETURNING to the target.
        village = "(SELECT v.{} FROM village AS v WHERE v.id = person.village_id)"
        _REGISTER[key] = (
            new_person(conn)
            .from_select([*columns, "village_id"], source)
            .returning(
                *table.c,
                literal_column(village.format("name")).label("village_name"),
                literal_column(village.format("township_id")).label("village_township_id"),
            )
        )
    return _REGISTER[key]


def _link(session: Session, db: Database, person: Person, actor: Actor) -> None:
    if actor.org_id is None or person.registered_by_org_id == actor.org_id:
        return
    if session.get(PersonLink, (person.id, actor.org_id)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(
                PersonLink(
                    person_id=person.id,
                    org_id=actor.org_id,
                    linked_by=actor.user_id,
                    linked_at=db.clock.now(),
                )
            )
    except IntegrityError:  # the same organisation linked them a moment ago
        pass
