"""Guards: pure predicates over (case, context) that a step's table row names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .dates import max_term_end


@dataclass(frozen=True)
class PayoutLineRef:
    """The payout batch line a ``pay`` step is taken for, with the bank's reference.

    Only the payout service builds one, after taking the pending line in the same
    transaction; no page, inbox button or API request can hand one in, so the money moves
    only through a batch (issue 10, section 7)."""

    line_id: int
    claim_id: int
    batch_reference: str
    bank_reference: str


@dataclass(frozen=True)
class GuardContext:
    now: datetime
    comment: str | None = None
    payout_line: PayoutLineRef | None = None


@dataclass(frozen=True)
class Absorption:
    """A business's absorbed target persons as counted now (set on a case by the store before
    an absorption claim is approved): the count, the threshold of the claim's year, the claims."""

    count: int
    required: int
    claim_ids: tuple[int, ...] = ()  # the first claims counted (a bounded list, in filing order)
    names: tuple[str, ...] = ()
    capped: bool = False  # counted only up to ``count``: there are more (never below ``required``)

    @property
    def counted(self) -> str:
        """The count as people read it: "1000人以上" when counting stopped there."""
        return f"{self.count}人以上" if self.capped else f"{self.count}人"


ABSORPTION_TYPES = frozenset({"startup_subsidy", "workshop_reward"})


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[[Any, GuardContext], bool]
    message: str
    needs_input: bool = False  # depends on what the actor types, so not known before firing
    explain: Callable[[Any], str] | None = None  # the message with the case's own figures
    figures: Callable[[Any], dict[str, Any]] | None = None  # the same for programs
    # The one service that can satisfy it (e.g. "payout"): pages show the step as a link to
    # that service, never as a button of its own.
    service: str | None = None

    def message_for(self, case: Any) -> str:
        return self.explain(case) if self.explain else self.message

    def figures_of(self, case: Any) -> dict[str, Any]:
        return self.figures(case) if self.figures else {}


def _comment_given(case: Any, ctx: GuardContext) -> bool:
    return bool(ctx.comment and ctx.comment.strip())


def _due_passed(case: Any, ctx: GuardContext) -> bool:
    return case.due_at is not None and ctx.now > case.due_at


def _insurance_recorded(case: Any, ctx: GuardContext) -> bool:
    return bool(case.insurance_policy_no and str(case.insurance_policy_no).strip())


def _term_ended(case: Any, ctx: GuardContext) -> bool:
    # A contract covers its end date in full; it expires as that day is over.
    return bool(ctx.now.date() > case.end_date)


def _term_at_most_one_year(case: Any, ctx: GuardContext) -> bool:
    return bool(case.start_date <= case.end_date <= max_term_end(case.start_date))


def _not_renewed(case: Any, ctx: GuardContext) -> bool:
    return case.successor_id is None


def _absorption_met(case: Any, ctx: GuardContext) -> bool:
    # Fails closed: an absorption claim whose count the store did not supply is not approved.
    if getattr(case, "subsidy_type", None) not in ABSORPTION_TYPES:
        return True
    info: Absorption | None = getattr(case, "absorption", None)
    return info is not None and info.count >= info.required


def _absorption_short(case: Any) -> str:
    info: Absorption | None = getattr(case, "absorption", None)
    if info is None:
        return "吸纳就业人数未能核算，暂不能审核通过"
    return f"须吸纳{info.required}人（含）以上目标人员就业方可审核通过，本单位目前有效申请计入{info.counted}"


def _absorption_figures(case: Any) -> dict[str, Any]:
    info: Absorption | None = getattr(case, "absorption", None)
    if info is None:
        return {}
    return {"counted": info.count, "required": info.required, "claims": list(info.claim_ids)}


def _ordinary(case: Any) -> bool:
    # Fails towards two approvers: an amount whose band the store did not supply is large.
    band = getattr(case, "ordinary_amount", None)
    return band is not None and Decimal(case.amount) <= band


def _large_explained(case: Any) -> str:
    band = getattr(case, "ordinary_amount", None)
    if band is None:
        return "金额的常规范围未能核算，须两名审核人员审核"
    return (
        f"金额{case.amount}元超过该类补贴常规金额{band}元（大额复核起点），"
        "须先“大额初审通过”，再由另一名审核人员复核"
    )


def _through_payout_line(case: Any, ctx: GuardContext) -> bool:
    line = ctx.payout_line
    return line is not None and line.claim_id == case.id and bool(line.bank_reference.strip())


PAY_ONLY_THROUGH_BATCH = (
    "发放只能通过发放批次办理：请在“发放”页将该申请编入批次、导出银行文件，"
    "再凭银行流水号逐笔确认；不能在案件页、收件箱或接口中直接确认发放"
)

GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard("comment_given", _comment_given, "此操作必须填写意见或原因", needs_input=True),
        Guard("due_passed", _due_passed, "期限未到，不能按过期处理"),
        Guard("insurance_recorded", _insurance_recorded, "须先登记意外伤害商业保险保单号"),
        Guard("term_ended", _term_ended, "协议期限尚未届满"),
        Guard("term_at_most_one_year", _term_at_most_one_year, "协议每次签订期限不得超过1年"),
        Guard("not_renewed", _not_renewed, "该协议已续签，不能重复续签"),
        Guard(
            "absorption_threshold_met",
            _absorption_met,
            "吸纳目标人员人数未达到规定人数",
            explain=_absorption_short,
            figures=_absorption_figures,
        ),
        Guard(
            "within_ordinary_amount",
            lambda case, ctx: _ordinary(case),
            "金额超过该类补贴常规金额，须两名审核人员审核",
            explain=_large_explained,
            figures=lambda case: {"ordinary_amount": str(getattr(case, "ordinary_amount", None))},
        ),
        Guard(
            "above_ordinary_amount",
            lambda case, ctx: not _ordinary(case),
            "金额在常规范围内，直接审核通过即可",
        ),
        Guard("through_payout_line", _through_payout_line, PAY_ONLY_THROUGH_BATCH, service="payout"),
    )
}
