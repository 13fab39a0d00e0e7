"""Claims: filing and correcting them, the inbox, evidence, bulk lists, the post claims'
attendance, and what staff and agents read of them.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``workflow.store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .agent_view import AgentClaim
    from .evidence import KINDS, SIGNATURES, add_evidence
    from .filing import ClaimInput, file_claim, resubmit_claim
    from .inbox import COUNT_CAP, Filters
    from .lists import ListReport, get_list, list_outcomes, result_workbook, upload_list
    from .post_claims import month_workdays

__all__ = [
    "COUNT_CAP",
    "KINDS",
    "SIGNATURES",
    "AgentClaim",
    "ClaimInput",
    "Filters",
    "ListReport",
    "add_evidence",
    "file_claim",
    "get_list",
    "list_outcomes",
    "month_workdays",
    "resubmit_claim",
    "result_workbook",
    "upload_list",
]
__getattr__ = exports(
    __name__,
    {
        "AgentClaim": "agent_view",
        "COUNT_CAP": "inbox",
        "ClaimInput": "filing",
        "Filters": "inbox",
        "KINDS": "evidence",
        "ListReport": "lists",
        "SIGNATURES": "evidence",
        "add_evidence": "evidence",
        "file_claim": "filing",
        "get_list": "lists",
        "list_outcomes": "lists",
        "month_workdays": "post_claims",
        "resubmit_claim": "filing",
        "result_workbook": "lists",
        "upload_list": "lists",
    },
)
