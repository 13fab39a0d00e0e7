"""Filing one claim: the agent API's hot path (and the demo's and the tests'), on Core like
``transition()``.

One read gives everything the rules need of the person and the claimant: the person's row,
whether the agent may name them, the claimant's facts, the person's live claims (a person
has a handful; a claimant's thousands are never read) and the policy years' version stamps
(the figures of a version are parsed once: ``policy.in_force``); the calendar and deadlines
come from the short cache (``timecache``). Then one insert of the claim and its first history row (one
statement on PostgreSQL, two on SQLite), and the claim as written is handed back without
reading it again. The rules are the ones ``filing.evaluated`` applies to every other path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, exists, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.errors import NotFound, RuleViolation
from workflow.identity import normalise_id_number
from workflow.roles import Actor
from workflow.rules import ClaimantFacts, OtherClaim, PersonFacts
from workflow.states import CLAIM_DEAD_VALUES

from ..base import as_written
from ..db import Database
from ..models import Claim, ClaimHistory, Organisation, Person
from ..opening import opening
from ..people.reach_models import PersonLink
from ..policy.in_force import STAMPS, prime_in_force
from ..policy.versions import version_in_force
from .filing import OTHER_CLAIM_COLUMNS, ClaimInput, claim_values, evaluated, require_filer

_PERSON = (
    Person.id,
    Person.name,
    Person.id_number_enc,
    Person.id_tail_hash,
    Person.village_id,
    Person.target_groups,
)
_CLAIMANT = (
    Organisation.kind,
    Organisation.recognised,
    Organisation.first_business,
    Organisation.recognised_on,
    Organisation.recognition_doc_no,
)
_LIVE = Claim.__table__.alias("live")
_OTHER = [_LIVE.c[c.key] for c in OTHER_CLAIM_COLUMNS]


def _read(by: str) -> Select[*tuple[Any, ...]]:
    """Person, reach, claimant and the person's live claims: one row per live claim (one row
    with empty claim columns if there is none); no row if the person or the claimant is not
    there. ``by``: the person's id (reach: the organisation registered, claimed for or is
    linked to them) or the keyed hash of their ID number (anyone registered)."""
    org: Any = bindparam("org")
    reach = (
        or_(
            Person.registered_by_org_id == org,
            # "+ 0": the person's few claims by their index, not the claimant's thousands by
            # theirs (SQLite's planner, without statistics, takes the claimant's otherwise).
            exists().where(Claim.person_id == Person.id, Claim.claimant_org_id + 0 == org),
            exists().where(PersonLink.person_id == Person.id, PersonLink.org_id == org),
        )
        if by == "id"
        else literal(True)
    )
    key = (
        Person.id == bindparam("person")
        if by != "digest"
        else Person.id_number_hash.in_(bindparam("digest", expanding=True))  # under each key of the ring
    )
    return (
        select(*_PERSON, reach.label("reach"), *_CLAIMANT, STAMPS, *_OTHER)
        .select_from(Person)
        .join(Organisation, Organisation.id == org)
        .outerjoin(_LIVE, and_(_LIVE.c.person_id == Person.id, _LIVE.c.state.not_in(CLAIM_DEAD_VALUES)))
        .where(key)
    )


_READS = {by: _read(by) for by in ("id", "digest", "staff")}  # built once ("staff": by id, any reach)

_CLAIM_TABLE, _HISTORY_TABLE = Claim.__table__, ClaimHistory.__table__
_HISTORY_COLUMNS = [c.name for c in _HISTORY_TABLE.c if c.name not in ("id", "claim_id")]


def _inserts(columns: tuple[str, ...]) -> tuple[Any, Any, Any]:
    """The claim's insert (its id returned), its history row's, and on PostgreSQL both in one
    statement (a CTE): built once for the claim's set of columns."""
    claim = insert(_CLAIM_TABLE).values({c: bindparam(c, type_=_CLAIM_TABLE.c[c].type) for c in columns})
    history = insert(_HISTORY_TABLE).returning(_HISTORY_TABLE.c.id)
    filed = claim.returning(_CLAIM_TABLE.c.id).cte("filed")
    both = (
        insert(_HISTORY_TABLE)
        .from_select(
            ["claim_id", *_HISTORY_COLUMNS],
            select(
                filed.c.id,
                *(bindparam(f"h_{c}", type_=_HISTORY_TABLE.c[c].type) for c in _HISTORY_COLUMNS),
            ),
        )
        .returning(_HISTORY_TABLE.c.claim_id, _HISTORY_TABLE.c.id)
    )
    return claim.returning(_CLAIM_TABLE.c.id), history, both


_INSERTS: dict[tuple[str, ...], tuple[Any, Any, Any]] = {}


def live_claims(rows: Sequence[Row[Any]]) -> list[OtherClaim]:
    """The person's live claims among the rows of the one read (none: one row, no claim)."""
    return [OtherClaim(*row[-len(_OTHER) :]) for row in rows if row[-len(_OTHER)] is not None]


def _nobody(session: Session, org_id: int, by: str, person_id: int | None) -> Exception:
    """Why the read found no row: the claimant, or the person (answered as the reach rules
    say: a person outside the agent's reach is not found, like one that does not exist)."""
    if session.get(Organisation, org_id) is None:
        return NotFound("not_found.organisation", "申报单位不存在")
    if by == "digest":
        return NotFound("not_found.person", "未找到该身份证号对应的人员，请先登记")
    if by == "staff":
        return NotFound("not_found.person", "未找到该人员", id=person_id)
    return NotFound("not_found.person", "未找到该人员")


def file_for(
    session: Session,
    db: Database,
    actor: Actor,
    claim_for: Callable[[int], ClaimInput],
    *,
    person_id: int | None = None,
    id_number: str | None = None,
    reach: bool = True,
    extra_others: Sequence[OtherClaim] = (),
) -> tuple[Claim, ClaimHistory]:
    """File the agent's claim for the person named by id (within reach unless ``reach`` is
    False) or by full resident ID (anyone registered), inside the caller's transaction. The
    claim (with its person) and its first history row, as written. ``extra_others``: claims
    the rules must count as live besides the stored ones (the rest of a list being filed)."""
    org_id = require_filer(actor)
    conn = session.connection()
    key: dict[str, Any]
    if id_number is not None:
        by, key = "digest", {"digest": list(db.vault.digests(normalise_id_number(id_number)))}
    else:
        by, key = ("id" if reach else "staff"), {"person": person_id}
    rows = conn.execute(_READS[by], {**key, "org": org_id}).all()
    if not rows or not rows[0].reach:
        raise _nobody(session, org_id, by, person_id)
    first = rows[0]
    prime_in_force(session, first.policy_stamps)
    inp = claim_for(first.id)
    person = PersonFacts(first.id, frozenset(g for g in first.target_groups.split(",") if g))
    claimant = ClaimantFacts(
        org_id,
        first.kind,
        first.recognised,
        first.first_business,
        recognised_on=first.recognised_on if first.recognised else None,
        recognition_doc_no=first.recognition_doc_no if first.recognised else None,
    )
    others = live_claims(rows) + list(extra_others)
    draft, outcome = evaluated(session, db, inp, person, claimant, others)
    opened = opening(db, conn, "claim", actor, db.clock.now())
    values = claim_values(
        inp,
        draft,
        outcome,
        claimant_id=org_id,
        village_id=first.village_id,
        opened=opened,
        params_version_id=version_in_force(session, draft.policy_year),
    )
    values.update(version=1, overdue=False)
    entry = opened.history_rows([0])[0]
    del entry["claim_id"]
    columns = tuple(values)
    if columns not in _INSERTS:
        _INSERTS[columns] = _inserts(columns)
    add_claim, add_history, both = _INSERTS[columns]
    try:
        if db.dialect == "postgresql":
            claim_id, history_id = conn.execute(
                both, {**values, **{f"h_{k}": v for k, v in entry.items()}}
            ).one()
        else:
            claim_id = conn.execute(add_claim, values).scalar_one()
            history_id = conn.execute(add_history, {"claim_id": claim_id, **entry}).scalar_one()
    except IntegrityError:
        # Another claim took the same place between our read and our write. No savepoint: no
        # filer goes on after this, the whole unit of work is rolled back.
        raise RuleViolation("rule.duplicate", "该人员已有同类补贴申请，不得重复申请") from None
    named = as_written(Person, {c.key: getattr(first, c.key) for c in _PERSON})
    claim = as_written(Claim, {"id": claim_id, **values, "person": named})
    return claim, as_written(ClaimHistory, {"id": history_id, "claim_id": claim_id, **entry})


def file_claim(
    session: Session, db: Database, actor: Actor, inp: ClaimInput, extra_others: Sequence[OtherClaim] = ()
) -> Claim:
    """File a claim for a person by id inside the caller's transaction (the demo, the tests;
    the agent API names the person through ``file_for``)."""
    return file_for(
        session, db, actor, lambda _: inp, person_id=inp.person_id, reach=False, extra_others=extra_others
    )[0]


def submit_claim(db: Database, actor: Actor, inp: ClaimInput) -> Claim:
    with db.transaction() as session:
        return file_claim(session, db, actor, inp)
