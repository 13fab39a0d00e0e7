"""Printable documents (WeasyPrint): the only package besides templates that lays out PDFs."""

from .layout import (
    KIND_TITLES,
    Stamp,
    approval_form,
    contract,
    join_pdfs,
    payout_roster,
    rejection_notice,
    render,
    render_html,
    renewal_notice,
    roster_pages,
)

__all__ = [
    "KIND_TITLES",
    "Stamp",
    "approval_form",
    "contract",
    "join_pdfs",
    "payout_roster",
    "rejection_notice",
    "render",
    "render_html",
    "renewal_notice",
    "roster_pages",
]
