"""People, their labour data, the register of organisations and an agent's reach.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``workflow.store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .labour import person_labour, set_labour_status
    from .organisations import (
        LABELS,
        OrganisationInput,
        OrgFilter,
        list_organisations,
        masked_bank,
        register_organisation,
    )
    from .persons import PersonInput, create_organisation, create_person
    from .reach import PersonRef, lookup_person, person_for_agent, register_person

__all__ = [
    "LABELS",
    "OrgFilter",
    "OrganisationInput",
    "PersonInput",
    "PersonRef",
    "create_organisation",
    "create_person",
    "list_organisations",
    "lookup_person",
    "masked_bank",
    "person_for_agent",
    "person_labour",
    "register_organisation",
    "register_person",
    "set_labour_status",
]
__getattr__ = exports(
    __name__,
    {
        "LABELS": "organisations",
        "OrgFilter": "organisations",
        "OrganisationInput": "organisations",
        "PersonInput": "persons",
        "PersonRef": "reach",
        "create_organisation": "persons",
        "create_person": "persons",
        "list_organisations": "organisations",
        "lookup_person": "reach",
        "masked_bank": "organisations",
        "person_for_agent": "reach",
        "person_labour": "labour",
        "register_organisation": "organisations",
        "register_person": "reach",
        "set_labour_status": "labour",
    },
)
