"""How reviewers share the work: a case held (认领) by one of them or assigned by the head, the
hold that refuses another's step, and a step taken on many cases with one reason.

* **Who may hold a case.** A case waiting for a village verifier or an HR reviewer (the table's
  ``waits``: the role of the step it waits for) may be held by one user who could take that
  step: the role, the village for a verifier, and not someone the separation of duties keeps
  off the case. Finance's payment and the claimant's resubmission are not held.
* **A hold is on the case as it is now.** It records the case's version; any step moves the
  version on, so the hold lapses by itself once the case moves (returned, approved, …), however
  it moved (a page, the API, the sweep). A case back in the same state later is free again.
* **What a hold stops.** A step on a held case by anyone but the holder is refused, naming the
  holder (``Held``): two reviewers never do the same work twice. A case nobody holds may be
  worked on by anyone who may take the step, as before.
* **The head** (局负责人) is the admin account, to whom overdue HR reviews are escalated
  (``machines.CLAIM.waits``): the admin's inbox lists what waits for HR, and the admin assigns
  cases to a reviewer, takes a hold back, or moves it to another; nobody else moves a hold
  that is not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import TransitionRefused
from .guards import GUARDS, GuardContext
from .roles import Actor, Role
from .tables import Step, Workflow

HEAD = Role.ADMIN
HOLDING_ROLES = frozenset({Role.VILLAGE, Role.HR})
# The head's inbox lists the work of the roles they distribute it among.
HEAD_OVERSEES = frozenset({Role.HR})


class Held(TransitionRefused):
    """Someone else holds the case: only they (or the head, by moving the hold) may act."""

    status = 409


@dataclass(frozen=True)
class HoldInfo:
    """Who holds a case, as the refusal names them."""

    holder_id: int
    holder_name: str
    held_at: datetime


def owed_step(wf: Workflow, state: str) -> Step | None:
    """The step a case in ``state`` waits for, if a reviewer (village or HR) owes it."""
    wait = wf.waits.get(state)
    step = wf.step_for(wait.trigger, state) if wait else None
    return step if step is not None and step.role in HOLDING_ROLES else None


def check_holder(wf: Workflow, case: Any, actor: Actor) -> None:
    """Refuse, saying why, unless ``actor`` may hold the case now."""
    step = owed_step(wf, str(case.state))
    if step is None:
        raise TransitionRefused("hold.not_waiting", "该申请当前不在核实或审核环节，无需认领")
    if step.role not in actor.roles:
        raise TransitionRefused("hold.not_your_role", "只能由负责该环节的人员认领")
    if step.role is Role.VILLAGE and case.village_id not in actor.village_ids:
        raise TransitionRefused("hold.not_your_village", "只能认领本村人员的申请")
    if step.barred_by(case, actor) is not None:
        raise TransitionRefused("hold.separation_of_duties", "同一人不得在同一案件上办理两个环节，不能认领")


def may_hold(wf: Workflow, case: Any, actor: Actor) -> bool:
    try:
        check_holder(wf, case, actor)
    except TransitionRefused:
        return False
    return True


def hold_in_force(case: Any) -> bool:
    """Whether the case's hold still holds: recorded on the version the case is at now."""
    return case.holder_id is not None and case.held_version == case.version


def held_by_other(case: Any, actor: Actor) -> bool:
    return hold_in_force(case) and case.holder_id != actor.user_id


def held_refusal(hold: HoldInfo) -> Held:
    return Held(
        "conflict.held",
        f"该申请已由{hold.holder_name}于{hold.held_at:%Y-%m-%d %H:%M}认领，只有认领人可以办理"
        "（可请其放弃，或由负责人改派）",
        holder_id=hold.holder_id,
        holder=hold.holder_name,
        held_at=hold.held_at.isoformat(),
    )


def is_head(actor: Actor) -> bool:
    return HEAD in actor.roles


def inbox_roles(actor: Actor) -> frozenset[Role]:
    """The roles whose waiting cases the actor's inbox lists: their own, and the head's the
    work of the roles they distribute."""
    return actor.roles | HEAD_OVERSEES if is_head(actor) else actor.roles


def needs_reason(step: Step) -> bool:
    """Whether the step needs what the actor types (a reason): a guard that reads the input."""
    return any(GUARDS[name].needs_input for name in step.guards)


def reason_missing(wf: Workflow, trigger: str, roles: frozenset[Role], comment: str | None) -> bool:
    """Whether a step taken on many cases at once lacks the one reason all of them need:
    any row of ``trigger`` for the actor's roles whose input guard refuses ``comment``."""
    ctx = GuardContext(now=datetime.min, comment=comment)
    for step in wf.steps:
        if step.trigger != trigger or step.role not in roles:
            continue
        for name in step.guards:
            if GUARDS[name].needs_input and not GUARDS[name].check(None, ctx):
                return True
    return False
