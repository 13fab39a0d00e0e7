"""Public-welfare posts and their contracts: proposing, insurance, renewal, termination, and
what staff see of them.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``workflow.store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .lifecycle import (
        ContractInput,
        propose_contract,
        record_insurance,
        renew_contract,
        terminate_contract,
    )
    from .posts import ENDING_SOON_DAYS, ContractFilter, PostInput, days_left

__all__ = [
    "ENDING_SOON_DAYS",
    "ContractFilter",
    "ContractInput",
    "PostInput",
    "days_left",
    "propose_contract",
    "record_insurance",
    "renew_contract",
    "terminate_contract",
]
__getattr__ = exports(
    __name__,
    {
        "ContractFilter": "posts",
        "ContractInput": "lifecycle",
        "ENDING_SOON_DAYS": "posts",
        "PostInput": "posts",
        "days_left": "posts",
        "propose_contract": "lifecycle",
        "record_insurance": "lifecycle",
        "renew_contract": "lifecycle",
        "terminate_contract": "lifecycle",
    },
)
