"""The two workflow tables, checked against an independent hand-written expectation.

The expectation below is typed out from the domain (docs: /work/shared/domain.md), not
derived from ``workflow.machines``: if a row is added, dropped or given to another role,
the matrix test fails.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import transitions

from workflow import engine
from workflow.calendar import WorkCalendar
from workflow.diagram import all_diagrams, mermaid
from workflow.errors import InvalidTransition, TransitionRefused
from workflow.guards import PayoutLineRef
from workflow.machines import (
    CLAIM,
    CONTRACT,
    PAYOUT,
    WORKFLOWS,
    Deadline,
    Step,
    Wait,
    Workflow,
    WorkflowTableError,
)
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.states import ClaimState, ContractState

# --------------------------------------------------------------------------------------
# The expectation, by hand: (workflow, trigger, source) -> (role, destination or None)
# --------------------------------------------------------------------------------------

CLAIM_STATES = [
    "submitted",
    "village_verified",
    "hr_first_reviewed",
    "hr_reviewed",
    "finance_paid",
    "returned",
    "rejected",
    "withdrawn",
    "expired",
]
CONTRACT_STATES = [
    "submitted",
    "village_verified",
    "hr_reviewed",
    "active",
    "expired",
    "terminated",
    "returned",
    "rejected",
]
STATES = {"claim": CLAIM_STATES, "contract": CONTRACT_STATES}

CLAIM_TRIGGERS = {
    "verify",
    "return",
    "approve",
    "approve_large",
    "countersign",
    "reject",
    "pay",
    "withdraw",
    "resubmit",
    "expire",
}
CONTRACT_TRIGGERS = {
    "verify",
    "return",
    "approve",
    "reject",
    "resubmit",
    "activate",
    "terminate",
    "expire",
    "renew",
    "record_insurance",
}
ALL_TRIGGERS = sorted(CLAIM_TRIGGERS | CONTRACT_TRIGGERS)
TRIGGERS = {"claim": CLAIM_TRIGGERS, "contract": CONTRACT_TRIGGERS}

EXPECTED: dict[tuple[str, str, str], tuple[str, str | None]] = {
    # claims
    ("claim", "verify", "submitted"): ("village", "village_verified"),
    ("claim", "return", "submitted"): ("village", "returned"),
    ("claim", "approve", "village_verified"): ("hr", "hr_reviewed"),
    ("claim", "return", "village_verified"): ("hr", "returned"),
    ("claim", "reject", "village_verified"): ("hr", "rejected"),
    ("claim", "approve_large", "village_verified"): ("hr", "hr_first_reviewed"),
    ("claim", "countersign", "hr_first_reviewed"): ("hr", "hr_reviewed"),
    ("claim", "return", "hr_first_reviewed"): ("hr", "returned"),
    ("claim", "reject", "hr_first_reviewed"): ("hr", "rejected"),
    ("claim", "pay", "hr_reviewed"): ("finance", "finance_paid"),
    ("claim", "withdraw", "submitted"): ("agent", "withdrawn"),
    ("claim", "withdraw", "village_verified"): ("agent", "withdrawn"),
    ("claim", "withdraw", "hr_first_reviewed"): ("agent", "withdrawn"),
    ("claim", "withdraw", "returned"): ("agent", "withdrawn"),
    ("claim", "resubmit", "returned"): ("agent", "submitted"),
    ("claim", "expire", "returned"): ("system", "expired"),
    # public-welfare post contracts
    ("contract", "verify", "submitted"): ("village", "village_verified"),
    ("contract", "return", "submitted"): ("village", "returned"),
    ("contract", "approve", "village_verified"): ("hr", "hr_reviewed"),
    ("contract", "return", "village_verified"): ("hr", "returned"),
    ("contract", "reject", "village_verified"): ("hr", "rejected"),
    ("contract", "resubmit", "returned"): ("hr", "submitted"),
    ("contract", "activate", "hr_reviewed"): ("hr", "active"),
    ("contract", "terminate", "active"): ("hr", "terminated"),
    ("contract", "expire", "active"): ("system", "expired"),
    ("contract", "renew", "active"): ("hr", None),
    ("contract", "renew", "expired"): ("hr", None),
    ("contract", "record_insurance", "hr_reviewed"): ("hr", None),
    ("contract", "record_insurance", "active"): ("hr", None),
}

# Steps that no page, inbox or API may take: only the payout service, confirming a batch line
# with the bank's reference, hands the engine what their guard asks for.
BATCH_ONLY = {("claim", "pay", "hr_reviewed")}

TERMINAL = {
    "claim": {"finance_paid", "rejected", "withdrawn", "expired"},
    "contract": {"expired", "terminated", "rejected"},
}

NOW = datetime(2026, 3, 2, 10, 0)
VILLAGE = 1
ORG = 1


# An amount within or above its type's ordinary range (the two approve rows exclude each other).
ORDINARY = {"amount": Decimal("800.00"), "ordinary_amount": Decimal("1000")}
LARGE = {"amount": Decimal("3100.00"), "ordinary_amount": Decimal("1000")}


def permissive_case(state: str, **overrides: Any) -> SimpleNamespace:
    """A case on which every guard passes and nobody in the matrix has acted yet (an ordinary
    amount unless ``LARGE`` is given)."""
    values: dict[str, Any] = dict(
        **ORDINARY,
        id=1,
        state=state,
        village_id=VILLAGE,
        claimant_org_id=ORG,
        submitted_by=101,
        verified_by=102,
        reviewed_by=103,
        paid_by=None,
        due_at=datetime(2026, 1, 1, 23, 59, 59),  # passed
        insurance_policy_no="PICC-2025-0001",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),  # a one-year term, already over at NOW
        successor_id=None,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def actor(
    user_id: int = 77, *roles: Role, villages: tuple[int, ...] = (VILLAGE,), org: int | str | None = "agents"
) -> Actor:
    """Agents belong to the claimant organisation (``ORG``) unless told; staff to none."""
    org_id = (ORG if Role.AGENT in roles else None) if org == "agents" else org
    return Actor(user_id=user_id, roles=frozenset(roles), village_ids=frozenset(villages), org_id=org_id)  # type: ignore[arg-type]


def line_for(case: Any, bank_reference: str = "YH20261128001") -> PayoutLineRef:
    """What the payout service hands the engine for the batch line it has taken."""
    return PayoutLineRef(
        line_id=9, claim_id=case.id, batch_reference="FK2026-0001", bank_reference=bank_reference
    )


def codes_of(fn: Any) -> str:
    with pytest.raises(TransitionRefused) as info:
        fn()
    return info.value.code


# --------------------------------------------------------------------------------------
# Every (workflow, state, trigger, role)
# --------------------------------------------------------------------------------------

MATRIX = [
    (wf, state, trigger, role)
    for wf in ("claim", "contract")
    for state in STATES[wf]
    for trigger in ALL_TRIGGERS
    for role in Role
]


@pytest.mark.parametrize(
    ("wf_name", "state", "trigger", "role"), MATRIX, ids=[f"{w}-{s}-{t}-{r.value}" for w, s, t, r in MATRIX]
)
def test_matrix(wf_name: str, state: str, trigger: str, role: Role) -> None:
    wf = WORKFLOWS[wf_name]
    case = permissive_case(state, **(LARGE if trigger == "approve_large" else {}))
    who = actor(77, role)
    expected = EXPECTED.get((wf_name, trigger, state))
    if trigger not in TRIGGERS[wf_name]:
        code = codes_of(lambda: engine.check(wf, case, trigger, who, NOW, "意见"))
        assert code == "transition.unknown_trigger"
    elif expected is None:
        with pytest.raises(InvalidTransition) as info:
            engine.fire(wf, case, trigger, who, NOW, "意见")
        assert info.value.code == "transition.not_allowed_from_state"
        assert case.state == state
    elif expected[0] != role.value:
        code = codes_of(lambda: engine.fire(wf, case, trigger, who, NOW, "意见"))
        assert code == "transition.not_your_role"
        assert case.state == state
    elif (wf_name, trigger, state) in BATCH_ONLY:
        code = codes_of(lambda: engine.fire(wf, case, trigger, who, NOW, "意见"))
        assert code == "transition.guard_failed.through_payout_line"
        assert case.state == state
        t = engine.fire(wf, case, trigger, who, NOW, "意见", payout_line=line_for(case))
        assert (case.state, t.to_state) == (expected[1], expected[1])
    else:
        step = engine.check(wf, case, trigger, who, NOW, "意见")
        assert step.role is role
        t = engine.fire(wf, case, trigger, who, NOW, "意见")
        dest = expected[1] or state
        assert case.state == dest
        assert (t.from_state, t.to_state, t.trigger, t.actor_id) == (state, dest, trigger, 77)
        assert t.comment == "意见"


def test_tables_have_exactly_the_expected_rows() -> None:
    rows = {
        (wf.name, s.trigger, src): (s.role.value, None if s.dest is None else str(s.dest))
        for wf in (CLAIM, CONTRACT)
        for s in wf.steps
        for src in s.source
    }
    assert rows == EXPECTED
    assert [str(s) for s in CLAIM.states] == CLAIM_STATES
    assert [str(s) for s in CONTRACT.states] == CONTRACT_STATES
    assert set(CLAIM.triggers) == CLAIM_TRIGGERS
    assert set(CONTRACT.triggers) == CONTRACT_TRIGGERS
    assert {str(s) for s in CLAIM.terminal} == TERMINAL["claim"]
    assert {str(s) for s in CONTRACT.terminal} == TERMINAL["contract"]


def test_admin_takes_no_step_and_an_all_roles_actor_takes_every_row() -> None:
    for (wf_name, trigger, source), (_role, dest) in EXPECTED.items():
        wf = WORKFLOWS[wf_name]
        assert (
            codes_of(
                lambda wf=wf, trigger=trigger, source=source: engine.check(
                    wf, permissive_case(source), trigger, actor(77, Role.ADMIN), NOW, "x"
                )
            )
            == "transition.not_your_role"
        )
        case = permissive_case(source, **(LARGE if trigger == "approve_large" else {}))
        # Of the claimant organisation only for its own steps (its members take no other).
        everyone = actor(77, *Role, org=ORG if _role == "agent" else None)
        engine.fire(wf, case, trigger, everyone, NOW, "x", payout_line=line_for(case))
        assert case.state == (dest or source)


def test_enum_state_on_a_new_case_can_be_fired() -> None:
    # A case created with ``state=CLAIM.initial`` holds the Enum member until it is reloaded.
    case = permissive_case(CLAIM.initial)
    assert isinstance(case.state, ClaimState)
    engine.fire(CLAIM, case, "verify", actor(77, Role.VILLAGE), NOW)
    assert case.state == "village_verified"
    contract = permissive_case(ContractState.HR_REVIEWED)
    engine.fire(CONTRACT, contract, "activate", actor(77, Role.HR), NOW)
    assert contract.state == "active"


# --------------------------------------------------------------------------------------
# Scope
# --------------------------------------------------------------------------------------


def test_village_verifier_of_another_village_is_refused() -> None:
    case = permissive_case("submitted", village_id=2)
    other = actor(77, Role.VILLAGE, villages=(1, 3))
    for trigger in ("verify", "return"):
        assert (
            codes_of(lambda t=trigger: engine.fire(CLAIM, case, t, other, NOW, "x"))
            == "transition.not_your_village"
        )
    assert (
        codes_of(lambda: engine.fire(CONTRACT, case, "verify", other, NOW)) == "transition.not_your_village"
    )
    assert case.state == "submitted"
    engine.fire(CLAIM, case, "verify", actor(78, Role.VILLAGE, villages=(2,)), NOW)
    assert case.state == "village_verified"


def test_agent_of_another_organisation_is_refused() -> None:
    case = permissive_case("returned", claimant_org_id=5)
    for who in (actor(77, Role.AGENT, org=6), actor(77, Role.AGENT, org=None)):
        for trigger in ("resubmit", "withdraw"):
            assert (
                codes_of(lambda t=trigger, w=who: engine.fire(CLAIM, case, t, w, NOW))
                == "transition.not_your_claim"
            )
    assert case.state == "returned"
    engine.fire(CLAIM, case, "resubmit", actor(77, Role.AGENT, org=5), NOW)
    assert case.state == "submitted"


def test_hr_and_finance_are_not_scoped_to_a_village() -> None:
    case = permissive_case("village_verified", village_id=9, claimant_org_id=9)
    engine.fire(CLAIM, case, "approve", actor(77, Role.HR, villages=(), org=None), NOW)
    engine.fire(
        CLAIM, case, "pay", actor(78, Role.FINANCE, villages=(), org=None), NOW, payout_line=line_for(case)
    )
    assert case.state == "finance_paid"


# --------------------------------------------------------------------------------------
# Separation of duties
# --------------------------------------------------------------------------------------


def test_verifier_with_hr_role_cannot_approve_return_or_reject() -> None:
    both = actor(5, Role.VILLAGE, Role.HR)
    case = permissive_case("submitted", verified_by=None, reviewed_by=None)
    engine.fire(CLAIM, case, "verify", both, NOW)
    assert case.verified_by == 5
    for trigger in ("approve", "return", "reject"):
        assert (
            codes_of(lambda t=trigger: engine.fire(CLAIM, case, t, both, NOW, "x"))
            == "transition.separation_of_duties"
        )
    assert case.state == "village_verified"
    engine.fire(CLAIM, case, "approve", actor(6, Role.HR), NOW)
    assert case.reviewed_by == 6


def test_reviewer_with_finance_role_cannot_pay() -> None:
    both = actor(5, Role.HR, Role.FINANCE)
    case = permissive_case("village_verified", reviewed_by=None)
    engine.fire(CLAIM, case, "approve", both, NOW)
    assert case.reviewed_by == 5
    assert (
        codes_of(lambda: engine.fire(CLAIM, case, "pay", both, NOW, payout_line=line_for(case)))
        == "transition.separation_of_duties"
    )
    engine.fire(CLAIM, case, "pay", actor(6, Role.FINANCE), NOW, payout_line=line_for(case))
    assert (case.state, case.paid_by) == ("finance_paid", 6)


def test_verifier_with_finance_role_cannot_pay() -> None:
    # "never acts twice on the same case"
    both = actor(5, Role.VILLAGE, Role.FINANCE)
    case = permissive_case("submitted", verified_by=None, reviewed_by=None)
    engine.fire(CLAIM, case, "verify", both, NOW)
    engine.fire(CLAIM, case, "approve", actor(6, Role.HR), NOW)
    assert (
        codes_of(lambda: engine.fire(CLAIM, case, "pay", both, NOW, payout_line=line_for(case)))
        == "transition.separation_of_duties"
    )


def test_submitter_cannot_act_on_own_claim() -> None:
    submitter = actor(101, *Role)  # submitted_by=101 in permissive_case
    for state, trigger in [
        ("submitted", "verify"),
        ("submitted", "return"),
        ("village_verified", "approve"),
        ("village_verified", "reject"),
        ("village_verified", "return"),
        ("hr_reviewed", "pay"),
    ]:
        case = permissive_case(state)
        assert (
            codes_of(lambda c=case, t=trigger: engine.fire(CLAIM, c, t, submitter, NOW, "x"))
            == "transition.separation_of_duties"
        ), (state, trigger)
        assert case.state == state
    # but the claimant may withdraw and resubmit their own claim
    case = permissive_case("returned")
    engine.fire(CLAIM, case, "resubmit", submitter, NOW)
    engine.fire(CLAIM, case, "withdraw", submitter, NOW)
    assert case.state == "withdrawn"


def test_contract_submitter_cannot_approve_own_contract() -> None:
    case = permissive_case("village_verified", submitted_by=6)
    assert (
        codes_of(lambda: engine.fire(CONTRACT, case, "approve", actor(6, Role.HR), NOW))
        == "transition.separation_of_duties"
    )
    engine.fire(CONTRACT, case, "approve", actor(7, Role.HR), NOW)
    assert case.reviewed_by == 7


# --------------------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("comment", [None, "", "   "])
@pytest.mark.parametrize(
    ("wf_name", "state", "trigger", "role"),
    [
        ("claim", "submitted", "return", Role.VILLAGE),
        ("claim", "village_verified", "return", Role.HR),
        ("claim", "village_verified", "reject", Role.HR),
        ("contract", "submitted", "return", Role.VILLAGE),
        ("contract", "village_verified", "return", Role.HR),
        ("contract", "village_verified", "reject", Role.HR),
        ("contract", "active", "terminate", Role.HR),
    ],
)
def test_reject_return_terminate_need_a_comment(
    wf_name: str,
    state: str,
    trigger: str,
    role: Role,
    comment: str | None,
) -> None:
    wf = WORKFLOWS[wf_name]
    case = permissive_case(state)
    code = codes_of(lambda: engine.fire(wf, case, trigger, actor(77, role), NOW, comment))
    assert code == "transition.guard_failed.comment_given"
    assert case.state == state
    t = engine.fire(wf, case, trigger, actor(77, role), NOW, "  材料不全  ")
    assert t.comment == "材料不全"


def test_contract_activation_needs_insurance() -> None:
    hr = actor(77, Role.HR)
    for missing in (None, "", "  "):
        case = permissive_case("hr_reviewed", insurance_policy_no=missing)
        assert (
            codes_of(lambda c=case: engine.fire(CONTRACT, c, "activate", hr, NOW))
            == "transition.guard_failed.insurance_recorded"
        )
    case = permissive_case("hr_reviewed", insurance_policy_no="P-1")
    engine.fire(CONTRACT, case, "activate", hr, NOW)
    assert case.state == "active"


def test_contract_expires_only_after_its_end_date() -> None:
    case = permissive_case("active", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    on_last_day = datetime(2026, 12, 31, 23, 59, 59)
    assert (
        codes_of(lambda: engine.fire(CONTRACT, case, "expire", SYSTEM_ACTOR, on_last_day))
        == "transition.guard_failed.term_ended"
    )
    assert case.state == "active"
    engine.fire(CONTRACT, case, "expire", SYSTEM_ACTOR, datetime(2027, 1, 1, 0, 0, 1))
    assert case.state == "expired"


def test_returned_claim_expires_only_after_due() -> None:
    due = datetime(2026, 4, 1, 23, 59, 59)
    case = permissive_case("returned", due_at=due)
    assert (
        codes_of(lambda: engine.fire(CLAIM, case, "expire", SYSTEM_ACTOR, due))
        == "transition.guard_failed.due_passed"
    )
    case.due_at = None
    assert (
        codes_of(lambda: engine.fire(CLAIM, case, "expire", SYSTEM_ACTOR, due))
        == "transition.guard_failed.due_passed"
    )
    case.due_at = due
    engine.fire(CLAIM, case, "expire", SYSTEM_ACTOR, datetime(2026, 4, 2, 0, 0))
    assert case.state == "expired"


def test_renew_only_once() -> None:
    hr = actor(77, Role.HR)
    case = permissive_case("active")
    t = engine.fire(CONTRACT, case, "renew", hr, NOW)
    assert (t.from_state, t.to_state, case.state) == ("active", "active", "active")
    case.successor_id = 555  # the service files the successor
    assert (
        codes_of(lambda: engine.fire(CONTRACT, case, "renew", hr, NOW))
        == "transition.guard_failed.not_renewed"
    )
    expired = permissive_case("expired", successor_id=555)
    assert (
        codes_of(lambda: engine.fire(CONTRACT, expired, "renew", hr, NOW))
        == "transition.guard_failed.not_renewed"
    )
    expired.successor_id = None
    engine.fire(CONTRACT, expired, "renew", hr, NOW)
    assert expired.state == "expired"


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (date(2026, 3, 1), date(2027, 2, 28), True),  # exactly one year
        (date(2026, 1, 1), date(2026, 12, 31), True),
        (date(2026, 1, 1), date(2026, 6, 30), True),
        (date(2026, 1, 1), date(2026, 1, 1), True),
        (date(2026, 3, 1), date(2027, 3, 1), False),  # one day too long
        (date(2026, 1, 1), date(2027, 1, 1), False),
        (date(2026, 1, 1), date(2028, 1, 1), False),
        (date(2026, 6, 1), date(2026, 5, 31), False),  # ends before it starts
    ],
)
def test_contract_approval_term_at_most_one_year(start: date, end: date, ok: bool) -> None:
    case = permissive_case("village_verified", start_date=start, end_date=end)
    hr = actor(77, Role.HR)
    if ok:
        engine.fire(CONTRACT, case, "approve", hr, NOW)
        assert case.state == "hr_reviewed"
    else:
        assert (
            codes_of(lambda: engine.fire(CONTRACT, case, "approve", hr, NOW))
            == "transition.guard_failed.term_at_most_one_year"
        )
        assert case.state == "village_verified"


def test_refusal_order_state_then_role_then_scope_then_duties_then_guards() -> None:
    case = permissive_case("submitted", village_id=2, submitted_by=77)
    assert (
        codes_of(lambda: engine.check(CLAIM, case, "pay", actor(77, Role.VILLAGE), NOW))
        == "transition.not_allowed_from_state"
    )
    assert (
        codes_of(lambda: engine.check(CLAIM, case, "verify", actor(77, Role.HR), NOW))
        == "transition.not_your_role"
    )
    assert (
        codes_of(lambda: engine.check(CLAIM, case, "return", actor(77, Role.VILLAGE), NOW))
        == "transition.not_your_village"
    )
    assert (
        codes_of(lambda: engine.check(CLAIM, case, "return", actor(77, Role.VILLAGE, villages=(2,)), NOW))
        == "transition.separation_of_duties"
    )
    assert (
        codes_of(lambda: engine.check(CLAIM, case, "return", actor(78, Role.VILLAGE, villages=(2,)), NOW))
        == "transition.guard_failed.comment_given"
    )


# --------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------


def test_verify_sets_hr_due_in_working_days_across_national_day() -> None:
    case = permissive_case("submitted", due_at=None)
    engine.fire(CLAIM, case, "verify", actor(77, Role.VILLAGE), datetime(2026, 9, 28, 9, 30))
    # 10 working days after Mon 2026-09-28: 29, 30 Sep; 1–7 Oct are 国庆/中秋 holidays;
    # 8, 9, 10 (Saturday make-up day), 12, 13, 14, 15, 16 Oct.
    assert case.due_at == datetime(2026, 10, 16, 23, 59, 59)


def test_fire_sets_each_deadline_and_clears_it_at_the_end() -> None:
    case = permissive_case("submitted", due_at=None, verified_by=None, reviewed_by=None)
    # returned: 30 calendar days
    engine.fire(CLAIM, case, "return", actor(2, Role.VILLAGE), datetime(2026, 9, 28, 9), "补材料")
    assert case.due_at == datetime(2026, 10, 28, 23, 59, 59)
    # submitted again: 5 working days (29, 30 Sep, 8, 9, 10 Oct)
    engine.fire(CLAIM, case, "resubmit", actor(3, Role.AGENT), datetime(2026, 9, 28, 10))
    assert case.due_at == datetime(2026, 10, 10, 23, 59, 59)
    engine.fire(CLAIM, case, "verify", actor(2, Role.VILLAGE), datetime(2026, 10, 12, 10))
    # approved: 15 working days after Mon 2026-10-12 → Mon 2026-11-02
    engine.fire(CLAIM, case, "approve", actor(4, Role.HR), datetime(2026, 10, 12, 11))
    assert case.due_at == datetime(2026, 11, 2, 23, 59, 59)
    engine.fire(
        CLAIM, case, "pay", actor(5, Role.FINANCE), datetime(2026, 10, 13, 11), payout_line=line_for(case)
    )
    assert case.due_at is None


def test_fire_uses_the_given_calendar_and_deadlines() -> None:
    case = permissive_case("submitted", due_at=None)
    cal = WorkCalendar.with_overrides(holidays=[date(2026, 9, 29)])
    engine.fire(
        CLAIM,
        case,
        "verify",
        actor(77, Role.VILLAGE),
        datetime(2026, 9, 28, 9),
        calendar=cal,
        deadlines={"village_verified": Deadline(working_days=2)},
    )
    assert case.due_at == datetime(2026, 10, 8, 23, 59, 59)


def test_renew_leaves_due_at_alone() -> None:
    marker = datetime(2030, 1, 1)
    case = permissive_case("active", due_at=marker)
    engine.fire(CONTRACT, case, "renew", actor(77, Role.HR), NOW)
    assert case.due_at == marker


# --------------------------------------------------------------------------------------
# available(): the buttons
# --------------------------------------------------------------------------------------


def _buttons(wf: Workflow, case: Any, who: Actor) -> set[str]:
    return {s.trigger for s in engine.available(wf, case, who, NOW)}


def test_available_lists_the_buttons() -> None:
    fresh = dict(verified_by=None, reviewed_by=None)
    assert _buttons(CLAIM, permissive_case("submitted", **fresh), actor(77, Role.VILLAGE)) == {
        "verify",
        "return",
    }  # return shown although its comment is typed later
    assert (
        _buttons(CLAIM, permissive_case("submitted", **fresh), actor(77, Role.VILLAGE, villages=(8,)))
        == set()
    )
    assert _buttons(CLAIM, permissive_case("submitted"), actor(77, Role.AGENT)) == {"withdraw"}
    assert _buttons(CLAIM, permissive_case("village_verified"), actor(77, Role.HR)) == {
        "approve",
        "return",
        "reject",
    }
    # HR who is also an agent of the claimant: withdraws its own claim, reviews none of them.
    hr_agent = actor(77, Role.HR, Role.AGENT)
    assert _buttons(CLAIM, permissive_case("village_verified"), hr_agent) == {"withdraw"}
    assert _buttons(CLAIM, permissive_case("village_verified"), actor(77, Role.HR, Role.AGENT, org=9)) == {
        "approve",
        "return",
        "reject",
    }
    assert _buttons(CLAIM, permissive_case("village_verified"), actor(102, Role.HR)) == set()
    assert _buttons(CLAIM, permissive_case("hr_reviewed"), actor(77, Role.FINANCE)) == {"pay"}
    assert _buttons(CLAIM, permissive_case("hr_reviewed"), actor(103, Role.FINANCE)) == set()
    assert _buttons(CLAIM, permissive_case("returned"), actor(77, *Role)) == {
        "withdraw",
        "resubmit",
        "expire",
    }
    assert _buttons(CLAIM, permissive_case("finance_paid"), actor(77, *Role)) == set()
    assert _buttons(CLAIM, permissive_case("returned"), actor(77, Role.ADMIN)) == set()


def test_pay_is_refused_without_a_batch_line_with_a_bank_reference_for_this_claim() -> None:
    finance = actor(77, Role.FINANCE)
    case = permissive_case("hr_reviewed", id=5)
    other_claims_line = PayoutLineRef(9, claim_id=6, batch_reference="FK2026-0001", bank_reference="YH1")
    for line in (None, other_claims_line, line_for(case, bank_reference="  ")):
        assert (
            codes_of(lambda ln=line: engine.fire(CLAIM, case, "pay", finance, NOW, payout_line=ln))
            == "transition.guard_failed.through_payout_line"
        )
        assert (case.state, case.paid_by) == ("hr_reviewed", None)
    engine.fire(CLAIM, case, "pay", finance, NOW, payout_line=line_for(case))
    assert (case.state, case.paid_by) == ("finance_paid", 77)


def test_a_step_only_a_service_takes_is_listed_but_named_as_that_services() -> None:
    """The case page shows finance a link to the payout batches, never a pay button."""
    [pay] = engine.available(CLAIM, permissive_case("hr_reviewed"), actor(77, Role.FINANCE), NOW)
    assert (pay.trigger, engine.service_of(pay)) == ("pay", "payout")
    assert {engine.service_of(s) for s in CLAIM.steps if s.trigger != "pay"} == {None}
    assert {engine.service_of(s) for s in CONTRACT.steps} == {None}


def test_available_hides_steps_whose_guards_fail() -> None:
    hr = actor(77, Role.HR)
    assert _buttons(CONTRACT, permissive_case("hr_reviewed", insurance_policy_no=None), hr) == {
        "record_insurance"
    }
    assert _buttons(CONTRACT, permissive_case("hr_reviewed"), hr) == {"activate", "record_insurance"}
    running = permissive_case("active", end_date=date(2026, 12, 31))
    assert _buttons(CONTRACT, running, hr) == {"terminate", "renew", "record_insurance"}
    assert _buttons(CONTRACT, running, SYSTEM_ACTOR) == set()
    running.successor_id = 9
    assert _buttons(CONTRACT, running, hr) == {"terminate", "record_insurance"}
    assert _buttons(CONTRACT, permissive_case("active"), SYSTEM_ACTOR) == {"expire"}


# --------------------------------------------------------------------------------------
# Table validation
# --------------------------------------------------------------------------------------


def _workflow(
    steps: tuple[Step, ...],
    states: tuple[str, ...] = ("a", "b", "c"),
    terminal: frozenset[str] = frozenset({"c"}),
) -> Workflow:
    return Workflow(name="t", label="t", states=states, initial="a", terminal=terminal, steps=steps)


GOOD = (
    Step("go", ("a",), "b", Role.HR, "go"),
    Step("end", ("b",), "c", Role.HR, "end"),
    Step("note", ("c",), None, Role.HR, "note"),  # internal step on a terminal state
)


def test_validate_accepts_a_sound_table() -> None:
    wf = _workflow(GOOD)
    assert wf.triggers == ("go", "end", "note")
    case = SimpleNamespace(state="a", due_at=None)
    engine.fire(wf, case, "go", actor(1, Role.HR), NOW)
    assert case.state == "b"


@pytest.mark.parametrize(
    ("steps", "states", "message"),
    [
        ((*GOOD, Step("x", ("nowhere",), "b", Role.HR, "x")), ("a", "b", "c"), "unknown source"),
        ((*GOOD, Step("x", ("a",), "nowhere", Role.HR, "x")), ("a", "b", "c"), "unknown destination"),
        ((*GOOD, Step("go", ("a",), "c", Role.AGENT, "again")), ("a", "b", "c"), "two rows"),
        ((*GOOD, Step("reopen", ("c",), "a", Role.ADMIN, "reopen")), ("a", "b", "c"), "leaves terminal"),
        (GOOD, ("a", "b", "c", "island"), "unreachable"),
    ],
)
def test_validate_rejects_a_broken_table(
    steps: tuple[Step, ...],
    states: tuple[str, ...],
    message: str,
) -> None:
    with pytest.raises(WorkflowTableError, match=message):
        _workflow(steps, states)


# --------------------------------------------------------------------------------------
# Diagram
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("wf_name", ["claim", "contract"])
def test_diagram_has_every_step(wf_name: str) -> None:
    text = mermaid(WORKFLOWS[wf_name])
    assert text.startswith("stateDiagram-v2\n    [*] --> submitted\n")
    for (name, trigger, source), (role, dest) in EXPECTED.items():
        if name == wf_name:
            assert f"    {source} --> {dest or source}: {trigger} ({role})" in text
    for state in TERMINAL[wf_name]:
        assert f"    {state} --> [*]" in text
    arrows = [line for line in text.splitlines() if ": " in line]
    assert len(arrows) == sum(1 for k in EXPECTED if k[0] == wf_name)
    assert "renew (hr) [not_renewed]" in mermaid(CONTRACT)
    assert "```mermaid" in all_diagrams()


# --------------------------------------------------------------------------------------
# One machine per workflow, never one per case
# --------------------------------------------------------------------------------------


def test_machine_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real_init = transitions.Machine.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(transitions.Machine, "__init__", counting_init)
    claim_machine, contract_machine = id(CLAIM.machine), id(CONTRACT.machine)
    for i in range(1000):
        case = permissive_case("submitted", due_at=None, village_id=i % 7)
        engine.fire(CLAIM, case, "verify", actor(77, Role.VILLAGE, villages=(i % 7,)), NOW)
        engine.fire(CLAIM, case, "approve", actor(78, Role.HR), NOW)
        contract = permissive_case("hr_reviewed")
        engine.fire(CONTRACT, contract, "activate", actor(78, Role.HR), NOW)
        assert case.state == "hr_reviewed" and contract.state == "active"
    assert built == []
    assert (id(CLAIM.machine), id(CONTRACT.machine)) == (claim_machine, contract_machine)
    assert CLAIM.machine.models == [] and CONTRACT.machine.models == []
    # the counter works: building a workflow does build a machine
    _workflow(GOOD)
    assert built == [1]


@pytest.mark.parametrize(
    ("creation", "waits", "message"),
    [
        ((Step("submit", ("a",), "a", Role.AGENT, "x"),), {}, "creation row"),
        ((Step("submit", (), "b", Role.AGENT, "x"),), {}, "creation row"),
        ((), {"a": Wait("end", "x")}, "has no row from it"),
        ((), {"c": Wait("note", "x")}, "terminal"),
        ((), {"a": Wait("go", "x", escalate_to=Role.HR)}, "no deadline"),
    ],
)
def test_validate_rejects_broken_creation_rows_and_waits(
    creation: tuple[Step, ...], waits: dict[str, Wait], message: str
) -> None:
    with pytest.raises(WorkflowTableError, match=message):
        Workflow(
            name="t",
            label="t",
            states=("a", "b", "c"),
            initial="a",
            terminal=frozenset({"c"}),
            steps=GOOD,
            creation=creation,
            waits=waits,
        )


def test_creation_rows_by_hand() -> None:
    rows = {(wf.name, s.trigger, s.role.value, str(s.dest)) for wf in WORKFLOWS.values() for s in wf.creation}
    assert rows == {
        ("claim", "submit", "agent", "submitted"),
        ("claim", "submit", "system", "submitted"),
        ("contract", "submit", "hr", "submitted"),
        ("payout", "create", "finance", "open"),
    }


# --------------------------------------------------------------------------------------
# The payout batch: (trigger, source) -> (role, destination), by hand from payouts.py
# --------------------------------------------------------------------------------------

PAYOUT_STATES = ["open", "exported", "confirmed", "closed"]
PAYOUT_EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    ("export", "open"): ("finance", "exported"),
    ("export", "exported"): ("finance", "exported"),  # the bank file again, if the bank asks
    ("confirm", "open"): ("system", "confirmed"),  # by itself, once no line is pending
    ("confirm", "exported"): ("system", "confirmed"),
    ("close", "confirmed"): ("finance", "closed"),
}
PAYOUT_MATRIX = [
    (state, trigger, role)
    for state in PAYOUT_STATES
    for trigger in ("export", "confirm", "close", "pay")
    for role in Role
]


def test_payout_table_has_exactly_the_expected_rows() -> None:
    rows = {(s.trigger, src): (s.role.value, str(s.dest)) for s in PAYOUT.steps for src in s.source}
    assert rows == PAYOUT_EXPECTED
    assert [str(s) for s in PAYOUT.states] == PAYOUT_STATES
    assert {str(s) for s in PAYOUT.terminal} == {"closed"}
    assert PAYOUT.deadlines == {} and PAYOUT.overdue_states == ()


@pytest.mark.parametrize(
    ("state", "trigger", "role"), PAYOUT_MATRIX, ids=[f"{s}-{t}-{r.value}" for s, t, r in PAYOUT_MATRIX]
)
def test_payout_matrix(state: str, trigger: str, role: Role) -> None:
    batch = SimpleNamespace(state=state)
    who = actor(77, role)
    expected = PAYOUT_EXPECTED.get((trigger, state))
    if trigger == "pay":
        assert (
            codes_of(lambda: engine.check(PAYOUT, batch, trigger, who, NOW)) == "transition.unknown_trigger"
        )
    elif expected is None:
        assert codes_of(lambda: engine.fire(PAYOUT, batch, trigger, who, NOW)) == (
            "transition.not_allowed_from_state"
        )
        assert batch.state == state
    elif expected[0] != role.value:
        assert codes_of(lambda: engine.fire(PAYOUT, batch, trigger, who, NOW)) == "transition.not_your_role"
        assert batch.state == state
    else:
        t = engine.fire(PAYOUT, batch, trigger, who, NOW)
        assert (batch.state, t.from_state, t.to_state, t.role) == (expected[1], state, expected[1], role)


def test_payout_diagram_has_every_step() -> None:
    text = mermaid(PAYOUT)
    for (trigger, source), (role, dest) in PAYOUT_EXPECTED.items():
        assert f"    {source} --> {dest}: {trigger} ({role})" in text
    assert "    closed --> [*]" in text
    assert "## payout (发放批次)" in all_diagrams()


def test_no_member_of_the_filing_organisation_verifies_reviews_or_pays_its_claims() -> None:
    """Separation of duties across organisation membership (issue 14 §14): a village committee's
    officer who also verifies for the village cannot verify what the committee filed, whoever
    of its members filed it; nor can a member with HR or finance roles review or pay it."""
    member = actor(41, Role.VILLAGE, Role.HR, Role.FINANCE, org=ORG)
    outsider = actor(42, Role.VILLAGE, org=None)
    for state, trigger in (
        ("submitted", "verify"),
        ("submitted", "return"),
        ("village_verified", "approve"),
        ("village_verified", "reject"),
        ("hr_first_reviewed", "countersign"),
        ("hr_reviewed", "pay"),
    ):
        case = permissive_case(state, submitted_by=101, verified_by=None, reviewed_by=103)
        with pytest.raises(TransitionRefused) as info:
            engine.fire(CLAIM, case, trigger, member, NOW, "意见", payout_line=line_for(case))
        assert (info.value.code, info.value.details["conflicting_step"]) == (
            "transition.separation_of_duties",
            "claimant_org_id",
        ), trigger
        assert "申报单位的成员" in info.value.message and case.state == state
    case = permissive_case("submitted", verified_by=None)
    assert engine.fire(CLAIM, case, "verify", outsider, NOW).to_state == "village_verified"
    # Another organisation's member is not barred by membership.
    other = actor(43, Role.VILLAGE, org=ORG + 1)
    assert engine.fire(CLAIM, permissive_case("submitted"), "verify", other, NOW).to_state == (
        "village_verified"
    )
