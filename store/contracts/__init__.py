"""Public-welfare posts and their contracts: proposing, insurance, renewal, termination, and
what staff see of them.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

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
    from .post_edits import PostEdit, edit_post, post_edit_view
    from .posts import ENDING_SOON_DAYS, ContractFilter, PostInput, days_left
    from .view import (
        contract_form,
        contract_page,
        contracts_index,
        propose,
        set_up_post,
        take_contract_step,
        villages_for,
    )

__all__ = [
    "ENDING_SOON_DAYS",
    "ContractFilter",
    "ContractInput",
    "PostEdit",
    "PostInput",
    "contract_form",
    "contract_page",
    "contracts_index",
    "days_left",
    "edit_post",
    "post_edit_view",
    "propose",
    "propose_contract",
    "record_insurance",
    "renew_contract",
    "set_up_post",
    "take_contract_step",
    "terminate_contract",
    "villages_for",
]
__getattr__ = exports(
    __name__,
    {
        "ContractFilter": "posts",
        "ContractInput": "lifecycle",
        "ENDING_SOON_DAYS": "posts",
        "PostEdit": "post_edits",
        "PostInput": "posts",
        "contract_form": "view",
        "contract_page": "view",
        "contracts_index": "view",
        "days_left": "posts",
        "edit_post": "post_edits",
        "post_edit_view": "post_edits",
        "propose": "view",
        "propose_contract": "lifecycle",
        "record_insurance": "lifecycle",
        "renew_contract": "lifecycle",
        "set_up_post": "view",
        "take_contract_step": "view",
        "terminate_contract": "lifecycle",
        "villages_for": "view",
    },
)
