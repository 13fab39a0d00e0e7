"""Claims and contracts through the service layer on a real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from store.claims import ClaimInput, resubmit_claim, submit_claim
from store.contracts.lifecycle import (
    ContractInput,
    propose_contract,
    renew_contract,
    terminate_contract,
)
from store.models import Claim, ClaimHistory, Contract, ContractHistory, Person, Post
from store.people.persons import PersonInput, create_person, find_person
from store.transitions import transition
from workflow.errors import Conflict, RuleViolation, TransitionRefused, ValidationFailed
from workflow.roles import SYSTEM_ACTOR

from .builders import claim_in, county, export_claim, id_number, person
from .builders_posts import active_contract

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


def history(db, claim_id):
    with db.sessions() as s:
        return s.scalars(
            select(ClaimHistory).where(ClaimHistory.claim_id == claim_id).order_by(ClaimHistory.id)
        ).all()


def test_filing_stores_amount_rule_deadline_and_first_history_row(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    assert claim.state == "submitted"
    assert claim.amount == Decimal("300.00")
    assert claim.rule == "labour_export_service.out_of_province"
    assert claim.policy_year == 2026
    # Submitted Sat 2026-11-28: five working days are Mon 30 Nov .. Fri 4 Dec.
    assert claim.due_at.date() == date(2026, 12, 4)
    rows = history(db, claim.id)
    assert [(r.trigger, r.from_state, r.to_state) for r in rows] == [("submit", None, "submitted")]


def test_a_claim_walks_the_whole_path_with_one_history_row_per_step(db):
    c = county(db)
    claim = claim_in(db, c, "finance_paid")
    assert claim.state == "finance_paid"
    assert (claim.verified_by, claim.reviewed_by, claim.paid_by) == (
        c.verifier.user_id,
        c.hr.user_id,
        c.finance.user_id,
    )
    steps = [(r.trigger, r.role, r.actor_name) for r in history(db, claim.id)]
    assert steps == [
        ("submit", "agent", "agent1"),
        ("verify", "village", "village1"),
        ("approve", "hr", "hr1"),
        ("pay", "finance", "finance1"),
    ]
    assert claim.due_at is None


def test_refused_step_changes_nothing(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    with pytest.raises(TransitionRefused) as err:
        transition(db, "claim", claim.id, "verify", c.other_verifier)
    assert err.value.code == "transition.not_your_village"
    with db.sessions() as s:
        assert s.get(Claim, claim.id).state == "submitted"
    assert len(history(db, claim.id)) == 1


def test_same_person_same_type_same_year_is_refused_whoever_claims(db):
    c = county(db)
    pid = person(db, c.village)
    export_claim(db, c, pid)
    with pytest.raises(RuleViolation) as err:
        export_claim(db, c, pid, agent=c.other_agent)
    assert err.value.code == "rule.duplicate"


def test_database_unique_constraint_holds_without_the_rule_check(db):
    c = county(db)
    first = export_claim(db, c, person(db, c.village))
    other = export_claim(db, c, person(db, c.village))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(
            text("UPDATE claim SET dedupe_key = :k WHERE id = :id"), {"k": first.dedupe_key, "id": other.id}
        )


def test_withdrawn_claim_frees_its_place(db):
    c = county(db)
    pid = person(db, c.village)
    claim = export_claim(db, c, pid)
    transition(db, "claim", claim.id, "withdraw", c.agent)
    again = export_claim(db, c, pid, agent=c.other_agent)
    assert again.state == "submitted"


def test_transport_and_migrant_reward_exclude_each_other_in_the_database(db):
    c = county(db)
    pid = person(db, c.village)
    facts = {"destination": "in_province", "employment_start": "2026-02-01", "fare": "320"}
    claim = submit_claim(db, c.agent, ClaimInput("transport_subsidy", pid, 2026, facts))
    assert claim.amount == Decimal("320.00")
    with pytest.raises(RuleViolation) as err:
        submit_claim(
            db,
            c.agent,
            ClaimInput(
                "migrant_work_reward",
                pid,
                2026,
                {"destination": "in_province", "employment_start": "2026-02-01"},
            ),
        )
    assert err.value.code == "rule.exclusive_with"


def test_stale_version_is_a_conflict_and_leaves_one_history_row(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    transition(db, "claim", claim.id, "verify", c.verifier, expected_version=claim.version)
    with pytest.raises(Conflict):
        transition(db, "claim", claim.id, "return", c.hr, comment="x", expected_version=claim.version)
    assert [r.trigger for r in history(db, claim.id)] == ["submit", "verify"]


def test_returned_claim_is_resubmitted_with_corrected_facts_and_rules_rechecked(db):
    c = county(db)
    claim = claim_in(db, c, "returned")
    fixed = resubmit_claim(
        db, c.agent, claim.id, {"destination": "in_province", "employment_start": "2026-03-01"}
    )
    assert fixed.state == "submitted"
    assert fixed.amount == Decimal("200.00")
    with db.sessions() as s:
        again = s.get(Claim, claim.id)
        assert again.rule == "labour_export_service.in_province"


def test_returned_claim_expires_after_30_days_by_the_system(db, clock):
    c = county(db)
    claim = claim_in(db, c, "returned")
    with pytest.raises(TransitionRefused):
        transition(db, "claim", claim.id, "expire", SYSTEM_ACTOR)
    clock.advance(days=31)
    expired = transition(db, "claim", claim.id, "expire", SYSTEM_ACTOR)
    assert expired.state == "expired"
    assert expired.dedupe_key is None
    assert history(db, claim.id)[-1].role == "system"


def test_history_is_append_only_in_the_database(db):
    c = county(db)
    claim = export_claim(db, c, person(db, c.village))
    for statement in ("UPDATE claim_history SET comment = 'edited'", "DELETE FROM claim_history"):
        with pytest.raises(DatabaseError), db.transaction() as s:
            s.execute(text(statement))
    assert len(history(db, claim.id)) == 1


def test_id_and_bank_numbers_are_not_stored_in_plain_text(db):
    c = county(db)
    number = id_number()
    with db.transaction() as s:
        p = create_person(
            s,
            db,
            PersonInput(
                name="格桑", id_number=number, village_id=c.village, bank_account="6228480000000000017"
            ),
        )
        pid = p.id
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM person WHERE id = :id"), {"id": pid}).one()
    flat = " ".join(str(v) for v in row)
    assert number not in flat and number[:14] not in flat
    assert "6228480000000000017" not in flat
    with db.sessions() as s:
        found = find_person(s, db, number.lower())
        assert found is not None and found.id == pid
        assert db.vault.decrypt(found.id_number_enc) == number


def test_registering_the_same_id_twice_returns_the_same_person(db):
    c = county(db)
    number = id_number()
    with db.transaction() as s:
        a = create_person(s, db, PersonInput(name="次仁", id_number=number, village_id=c.village))
        b = create_person(s, db, PersonInput(name="次仁", id_number=number, village_id=c.village))
        assert a.id == b.id
        assert s.scalar(select(Person.id).where(Person.id != a.id)) is None


def _post(db, village_id, places=1):
    with db.transaction() as s:
        post = Post(village_id=village_id, title="保洁员", monthly_subsidy=Decimal("800"), places=places)
        s.add(post)
        s.flush()
        return post.id


def test_contract_goes_active_only_with_insurance_and_expires_after_its_end_date(db, clock):
    c = county(db)
    contract = active_contract(db, c)
    assert contract.state == "active"
    clock.current = clock.current.replace(year=2026, month=12, day=31, hour=23)
    with pytest.raises(TransitionRefused):
        transition(db, "contract", contract.id, "expire", SYSTEM_ACTOR)
    clock.advance(hours=2)
    assert transition(db, "contract", contract.id, "expire", SYSTEM_ACTOR).state == "expired"


def test_contract_term_over_a_year_is_refused_by_domain_and_by_database(db):
    c = county(db)
    pid = person(db, c.village)
    post_id = _post(db, c.village)
    with pytest.raises(RuleViolation) as err, db.transaction() as s:
        propose_contract(s, db, c.hr, ContractInput(post_id, pid, date(2026, 3, 1), date(2027, 3, 1)))
    assert err.value.code == "rule.term_over_one_year"
    with db.transaction() as s:
        ok = propose_contract(s, db, c.hr, ContractInput(post_id, pid, date(2026, 3, 1), date(2027, 2, 28)))
        ok_id = ok.id
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(
            text("UPDATE contract SET end_date = :d WHERE id = :id"), {"d": date(2027, 3, 2), "id": ok_id}
        )


def test_renewal_proposes_a_successor_from_the_day_after_for_at_most_a_year(db):
    c = county(db)
    old = active_contract(db, c)
    successor = renew_contract(db, c.hr, old.id)
    assert successor.start_date == date(2027, 1, 1)
    assert successor.end_date == date(2027, 12, 31)
    assert successor.state == "submitted"
    assert successor.predecessor_id == old.id
    with pytest.raises(TransitionRefused) as err:
        renew_contract(db, c.hr, old.id)
    assert err.value.code == "transition.guard_failed.not_renewed"
    with db.sessions() as s:
        assert s.get(Contract, old.id).state == "active"
        triggers = s.scalars(
            select(ContractHistory.trigger).where(ContractHistory.contract_id == old.id)
        ).all()
        assert triggers.count("renew") == 1


def test_admin_holidays_move_deadlines(db):
    from store.models import CalendarOverride
    from store.timerules import timecache

    c = county(db)
    with db.transaction() as s:
        s.add(CalendarOverride(day=date(2026, 12, 1), workday=False, note="县里放假"))
    timecache.forget(db)
    claim = export_claim(db, c, person(db, c.village))
    assert claim.due_at.date() == date(2026, 12, 4) + timedelta(days=3)  # skips the weekend too


@pytest.mark.parametrize(
    ("start", "last_ok"),
    [
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2027, 3, 1), date(2028, 2, 29)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_database_check_agrees_with_the_domain_on_one_year(db, start, last_ok):
    c = county(db)
    pid = person(db, c.village)
    with db.transaction() as s:
        contract = propose_contract(s, db, c.hr, ContractInput(_post(db, c.village), pid, start, last_ok))
        cid = contract.id
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(
            text("UPDATE contract SET end_date = :d WHERE id = :id"),
            {"d": last_ok + timedelta(days=1), "id": cid},
        )


def test_early_termination_keeps_its_reason_and_insurance_is_in_the_history(db, clock):
    clock.current = datetime(2026, 11, 28, 10)
    c = county(db)
    contract = active_contract(db, c)
    with pytest.raises(ValidationFailed) as undated:  # the generic step has no date to give
        transition(db, "contract", contract.id, "terminate", c.hr, comment="本人外出务工")
    assert undated.value.details["field"] == "terminated_on"
    ended = terminate_contract(
        db, c.hr, contract.id, "本人外出务工，有序退岗", terminated_on=date(2026, 6, 12)
    )
    assert ended.state == "terminated"
    assert (ended.end_reason, ended.terminated_on) == ("本人外出务工，有序退岗", date(2026, 6, 12))
    with db.sessions() as s:
        steps = s.execute(
            select(ContractHistory.trigger, ContractHistory.comment)
            .where(ContractHistory.contract_id == contract.id)
            .order_by(ContractHistory.id)
        ).all()
    assert [t for t, _ in steps] == [
        "submit",
        "verify",
        "approve",
        "record_insurance",
        "activate",
        "terminate",
    ]
    assert ("record_insurance", "保单号 PICC-2026-0001") in steps


def test_a_claim_that_loses_the_race_to_the_same_place_is_refused_and_leaves_nothing(db, monkeypatch):
    """Two filings for the same person read no live claim (as when they run at once): the
    database's unique key lets the first in, the second is refused as a duplicate and its
    transaction leaves no claim and no history row."""
    from store.claims import filer

    c = county(db)
    pid = person(db, c.village)
    first = export_claim(db, c, pid)
    monkeypatch.setattr(filer, "live_claims", lambda rows: [])  # the read saw no claim
    with pytest.raises(RuleViolation) as info:
        export_claim(db, c, pid)
    assert info.value.code == "rule.duplicate"
    with db.sessions() as s:
        assert s.scalars(select(Claim.id)).all() == [first.id]
        assert s.scalars(select(ClaimHistory.claim_id)).all() == [first.id]


def test_a_registration_that_loses_the_race_to_the_same_id_number_returns_the_winner(db, monkeypatch):
    """Another registration of the same ID number commits between our look-up and our insert:
    the unique key refuses ours, and the person registered a moment ago is returned."""
    from store.people import persons

    c = county(db)
    number = id_number()
    data = PersonInput(name="卓玛", id_number=number, village_id=c.village, target_groups=("relocated",))
    with db.transaction() as s:
        winner = create_person(s, db, data).id
    real, calls = persons.find_person, []

    def look_up(*args):  # our look-up finds nobody: the other has not committed yet
        calls.append(1)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(persons, "find_person", look_up)
    with db.transaction() as s:
        person, _ = persons.find_or_create_person(s, db, data)
        assert person.id == winner
    assert len(calls) == 2  # the look-up, then the one after the refused insert
    with db.sessions() as s:
        assert s.scalars(select(Person.id)).all() == [winner]
