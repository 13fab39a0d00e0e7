"""Issued documents: the register of numbers and verification codes, and which documents a
case may have.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .case_documents import (
        claim_document_for_agent,
        claim_document_for_staff,
        contract_document_for_staff,
    )
    from .register import verify
    from .rosters import Roster, ready_roster, render_roster, start_roster, stored_pdf

__all__ = [
    "Roster",
    "claim_document_for_agent",
    "claim_document_for_staff",
    "contract_document_for_staff",
    "ready_roster",
    "render_roster",
    "start_roster",
    "stored_pdf",
    "verify",
]
__getattr__ = exports(
    __name__,
    {
        "Roster": "rosters",
        "claim_document_for_agent": "case_documents",
        "claim_document_for_staff": "case_documents",
        "contract_document_for_staff": "case_documents",
        "ready_roster": "rosters",
        "render_roster": "rosters",
        "start_roster": "rosters",
        "stored_pdf": "rosters",
        "verify": "register",
    },
)
