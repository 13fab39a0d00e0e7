"""Search by an ID number's last digits without keeping them: each person holds a keyed hash of
the last four (``Person.id_tail_hash``); a search by one to four trailing digits asks for the
hashes of every four-character tail that ends in them (10, 100 or 1,000 of them)."""

from __future__ import annotations

from itertools import product

from sqlalchemy import ColumnElement

from workflow.pii import Vault

from ..models import Person


def is_tail(text: str | None) -> bool:
    """Digits, or digits ending in X: what may be an ID number's last characters."""
    tail = (text or "").strip().upper()
    return bool(tail) and (tail.isdigit() or (tail[:-1].isdigit() and tail.endswith("X")))


def tails_ending_in(digits: str) -> list[str]:
    """Every last-four an ID number can have that ends in ``digits`` (only the last may be X)."""
    digits = digits.upper()
    free = 4 - len(digits)
    return ["".join(p) + digits for p in product("0123456789", repeat=free)]


def tail_hashes(vault: Vault, digits: str) -> tuple[str, ...]:
    """The keyed hashes to look for, under every key of the ring (a rotation may be under way)."""
    return tuple(h for tail in tails_ending_in(digits) for h in vault.tail_digests(tail))


def tail_matches(hashes: tuple[str, ...] | list[str]) -> ColumnElement[bool]:
    return Person.id_tail_hash.in_(list(hashes))
