"""Claims: filing and correcting them, the inbox, evidence, bulk lists, the post claims'
attendance, and what staff and agents read of them.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .acted import ActedPage, acted_claims
    from .agent_pages import (
        AgentCase,
        ClaimsPage,
        ListView,
        agent_case,
        check_list,
        claims_page,
        file_checked_list,
        list_view,
        recent_lists,
    )
    from .agent_view import (
        AgentClaim,
        ClaimFilter,
        claim_detail,
        claims,
        evidence_file,
        evidence_of,
        file_and_read,
        resubmit,
        withdraw,
    )
    from .case_view import bulk_claim_step, case, evidence_for_staff, inbox, take_claim_step
    from .evidence import KINDS, SIGNATURES, add_evidence
    from .filer import file_claim, submit_claim
    from .filing import ClaimInput, resubmit_claim
    from .holding import HoldOutcome, assign_claims, release_claims, take_claims
    from .list_report import ListReport, get_list, list_outcomes, result_workbook
    from .lists import upload_list
    from .post_claims import month_workdays
    from .staff_evidence import attach_evidence, evidence_thumbnail, may_attach
    from .worklist import COUNT_CAP, Filters

__all__ = [
    "COUNT_CAP",
    "KINDS",
    "SIGNATURES",
    "ActedPage",
    "AgentCase",
    "AgentClaim",
    "ClaimFilter",
    "ClaimInput",
    "ClaimsPage",
    "Filters",
    "HoldOutcome",
    "ListReport",
    "ListView",
    "acted_claims",
    "add_evidence",
    "agent_case",
    "assign_claims",
    "attach_evidence",
    "bulk_claim_step",
    "case",
    "check_list",
    "claim_detail",
    "claims",
    "claims_page",
    "evidence_file",
    "evidence_for_staff",
    "evidence_of",
    "evidence_thumbnail",
    "file_and_read",
    "file_checked_list",
    "file_claim",
    "get_list",
    "inbox",
    "list_outcomes",
    "list_view",
    "may_attach",
    "month_workdays",
    "recent_lists",
    "release_claims",
    "resubmit",
    "resubmit_claim",
    "result_workbook",
    "submit_claim",
    "take_claim_step",
    "take_claims",
    "upload_list",
    "withdraw",
]
__getattr__ = exports(
    __name__,
    {
        "AgentCase": "agent_pages",
        "ActedPage": "acted",
        "AgentClaim": "agent_view",
        "COUNT_CAP": "worklist",
        "ClaimFilter": "agent_view",
        "ClaimInput": "filing",
        "ClaimsPage": "agent_pages",
        "Filters": "worklist",
        "KINDS": "evidence",
        "HoldOutcome": "holding",
        "ListReport": "list_report",
        "ListView": "agent_pages",
        "SIGNATURES": "evidence",
        "acted_claims": "acted",
        "add_evidence": "evidence",
        "agent_case": "agent_pages",
        "assign_claims": "holding",
        "attach_evidence": "staff_evidence",
        "bulk_claim_step": "case_view",
        "case": "case_view",
        "check_list": "agent_pages",
        "claim_detail": "agent_view",
        "claims": "agent_view",
        "claims_page": "agent_pages",
        "evidence_file": "agent_view",
        "evidence_for_staff": "case_view",
        "evidence_of": "agent_view",
        "evidence_thumbnail": "staff_evidence",
        "file_and_read": "agent_view",
        "file_checked_list": "agent_pages",
        "file_claim": "filer",
        "get_list": "list_report",
        "inbox": "case_view",
        "list_outcomes": "list_report",
        "list_view": "agent_pages",
        "may_attach": "staff_evidence",
        "month_workdays": "post_claims",
        "recent_lists": "agent_pages",
        "release_claims": "holding",
        "resubmit": "agent_view",
        "resubmit_claim": "filing",
        "result_workbook": "list_report",
        "submit_claim": "filer",
        "take_claim_step": "case_view",
        "take_claims": "holding",
        "upload_list": "lists",
        "withdraw": "agent_view",
    },
)
