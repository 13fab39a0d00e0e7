"""A payout batch's totals as its lines stand: what is due, paid, still pending, held for a
decision and failed, each as a count, an amount in figures and in Chinese capitals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from .numerals import capital_yuan

ZERO = Decimal("0.00")
KINDS = ("due", "paid", "pending", "awaiting", "failed", "shortfall")


class Line(Protocol):
    status: str
    amount: Decimal
    paid_amount: Decimal | None

    @property
    def awaiting_decision(self) -> bool: ...


@dataclass(frozen=True)
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    @property
    def capital(self) -> str:
        return capital_yuan(self.amount)

    def plus(self, amount: Decimal) -> Tally:
        return Tally(self.count + 1, self.amount + amount)


def batch_totals(lines: Iterable[Line]) -> dict[str, Tally]:
    """``due``: every line not failed (the batch's total); ``paid`` counts what was actually
    paid; ``awaiting``: pending lines the bank's return file disagreed with (also in
    ``pending``, or in ``failed`` for a failed line the bank says it paid); ``shortfall``: paid
    lines finance accepted at less than was due."""
    t = {kind: Tally() for kind in KINDS}
    for li in lines:
        if li.status == "failed":
            t["failed"] = t["failed"].plus(li.amount)
            if li.awaiting_decision:  # the bank says it paid: finance decides (also in ``failed``)
                t["awaiting"] = t["awaiting"].plus(li.amount)
            continue
        t["due"] = t["due"].plus(li.amount)
        if li.status == "paid":
            paid = li.amount if li.paid_amount is None else li.paid_amount
            t["paid"] = t["paid"].plus(paid)
            if paid != li.amount:
                t["shortfall"] = t["shortfall"].plus(li.amount - paid)
        else:
            t["pending"] = t["pending"].plus(li.amount)
            if li.awaiting_decision:
                t["awaiting"] = t["awaiting"].plus(li.amount)
    return t
