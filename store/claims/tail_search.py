"""The inbox's search by an ID number's last digits, and the digits it shows, under the key:
neither is kept in plain text (``store.people.tails``)."""

from __future__ import annotations

from dataclasses import replace

from workflow.pii import Vault

from ..people.tails import is_tail, tail_hashes
from .worklist import Filters, InboxRow


def with_tails(vault: Vault, f: Filters) -> Filters:
    """The filters with the keyed hashes their search by an ID tail asks for."""
    text = (f.q or "").strip()
    if is_tail(text) and len(text) <= 4:
        return replace(f, tails=tail_hashes(vault, text))
    return f


def with_id_tails(vault: Vault, rows: list[InboxRow]) -> list[InboxRow]:
    """The rows with the last four characters of their ID numbers, decrypted."""
    return [r._replace(id_last4=vault.tail(r.id_enc)) for r in rows]
