"""What used to be written by hand beside the workflow tables is now read from them: who may
open a case, whose inbox a state belongs to, which waits are escalated and to whom, the bulk
and form steps, and the way to a state. The expectations are typed out here, not derived."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from store.claims.worklist import CLAIM_WAITING, CONTRACT_WAITING, contracts_inbox
from store.contracts.lifecycle import ContractInput, propose_contract
from store.contracts.posts import PostInput, create_post
from store.transitions import transition
from workflow import engine
from workflow.errors import TransitionRefused
from workflow.machines import CLAIM, CONTRACT, WORKFLOWS
from workflow.roles import SYSTEM_ACTOR, Actor, Role

from .builders import claim_in, county, person

NOW = datetime(2026, 11, 30, 10, 0)


@pytest.fixture(autouse=True)
def _monday_30_november_2026(clock):
    clock.current = NOW


def _actor(*roles: Role) -> Actor:
    return Actor(user_id=7, roles=frozenset(roles), name="某人", org_id=1)


@pytest.mark.parametrize(
    ("workflow", "role", "expected_role"),
    [
        ("claim", Role.AGENT, "agent"),
        ("claim", Role.SYSTEM, "system"),
        ("contract", Role.HR, "hr"),
    ],
)
def test_a_filer_the_table_names_opens_a_case_in_its_first_state(
    workflow: str, role: Role, expected_role: str
) -> None:
    row, due = engine.created(WORKFLOWS[workflow], _actor(role), NOW, "备注")
    assert (row.trigger, row.from_state, row.to_state) == ("submit", None, "submitted")
    assert (row.role.value, row.actor_id, row.at, row.comment) == (expected_role, 7, NOW, "备注")
    assert due == datetime(2026, 12, 7, 23, 59, 59)  # the end of the fifth working day after


@pytest.mark.parametrize(
    ("workflow", "role"),
    [
        ("claim", Role.VILLAGE),
        ("claim", Role.HR),
        ("claim", Role.FINANCE),
        ("claim", Role.ADMIN),
        ("contract", Role.AGENT),
        ("contract", Role.VILLAGE),
        ("contract", Role.SYSTEM),
    ],
)
def test_nobody_else_opens_a_case(workflow: str, role: Role) -> None:
    with pytest.raises(TransitionRefused) as info:
        engine.created(WORKFLOWS[workflow], _actor(role), NOW)
    assert info.value.code == "transition.not_your_role"


def test_inboxes_hold_the_states_that_wait_for_each_role() -> None:
    assert {r.value: [str(s) for s in states] for r, states in CLAIM_WAITING.items()} == {
        "village": ["submitted"],
        "hr": ["village_verified", "hr_first_reviewed"],
        "finance": ["hr_reviewed"],
    }
    assert {r.value: [str(s) for s in states] for r, states in CONTRACT_WAITING.items()} == {
        "village": ["submitted"],
        "hr": ["village_verified", "hr_reviewed", "returned"],
    }


def test_overdue_waits_are_escalated_to_the_level_above() -> None:
    def escalation(wf_name: str) -> dict[str, tuple[str, str]]:
        wf = WORKFLOWS[wf_name]
        out = {}
        for state in wf.overdue_states:
            wait = wf.waits[state]
            assert wait.escalate_to is not None
            out[str(state)] = (wait.escalate_to.value, wait.waiting_for)
        return out

    assert escalation("claim") == {
        "submitted": ("hr", "村级核实"),
        "village_verified": ("admin", "人社局审核"),
        "hr_first_reviewed": ("admin", "大额复核"),
        "hr_reviewed": ("admin", "财务发放"),
    }
    assert escalation("contract") == {
        "submitted": ("hr", "村级核实"),
        "village_verified": ("admin", "人社局审核"),
        "returned": ("admin", "重新提交"),
    }


def test_bulk_buttons_and_form_steps() -> None:
    assert [(s.trigger, s.role.value) for s in CLAIM.bulk_steps] == [
        ("verify", "village"),
        ("return", "village"),
        ("approve", "hr"),
        ("return", "hr"),
        ("reject", "hr"),
    ]
    assert CONTRACT.bulk_steps == ()
    assert CONTRACT.form_triggers == {"record_insurance", "terminate", "renew"}
    assert CLAIM.form_triggers == frozenset()


def test_the_way_to_each_claim_state_is_the_shortest_the_table_allows() -> None:
    paths = {str(s): [(x.trigger, x.role.value) for x in CLAIM.path_to(s)] for s in CLAIM.states}
    assert paths == {
        "submitted": [],
        "village_verified": [("verify", "village")],
        "hr_first_reviewed": [("verify", "village"), ("approve_large", "hr")],
        "hr_reviewed": [("verify", "village"), ("approve", "hr")],
        "finance_paid": [("verify", "village"), ("approve", "hr"), ("pay", "finance")],
        "returned": [("return", "village")],
        "rejected": [("verify", "village"), ("reject", "hr")],
        "withdrawn": [("withdraw", "agent")],
        "expired": [("return", "village"), ("expire", "system")],
    }
    via = [x.trigger for x in CLAIM.path_to("finance_paid", via="returned")]
    assert via == ["return", "resubmit", "verify", "approve", "pay"]


def test_claim_in_walks_the_tables_path(db) -> None:
    c = county(db)
    assert claim_in(db, c, "rejected").state == "rejected"
    assert claim_in(db, c, "withdrawn").state == "withdrawn"


def test_hr_finds_returned_contracts_in_the_inbox_it_is_told_about_when_overdue(db) -> None:
    c = county(db)
    pid = person(db, c.village)
    with db.transaction() as s:
        post = create_post(s, c.hr, PostInput(c.village, "保洁员", Decimal("800"), 1, False))
        s.flush()
        cid = propose_contract(
            s, db, c.hr, ContractInput(post.id, pid, date(2027, 1, 1), date(2027, 12, 31))
        ).id
    transition(db, "contract", cid, "return", c.verifier, comment="身份证复印件不清楚")
    with db.sessions() as s:
        assert [k.id for k in contracts_inbox(s, c.hr)] == [cid]
        assert contracts_inbox(s, c.verifier) == []
    assert "returned" in CONTRACT.overdue_states
    assert SYSTEM_ACTOR.roles == {Role.SYSTEM}
