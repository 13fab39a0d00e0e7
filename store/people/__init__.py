"""People, their labour data, the register of organisations and an agent's reach.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .labour import AGE_LIMITS, person_labour, set_baseline, set_labour_status, set_working_age
    from .organisation_view import organisation, organisation_form, organisations
    from .persons import PersonInput, create_organisation, create_person
    from .reach import PersonRef, lookup_person, person_for_agent, register_person
    from .register import (
        LABELS,
        OrganisationInput,
        OrgFilter,
        edit_organisation,
        list_organisations,
        masked_bank,
        register_organisation,
    )

__all__ = [
    "AGE_LIMITS",
    "LABELS",
    "OrgFilter",
    "OrganisationInput",
    "PersonInput",
    "PersonRef",
    "create_organisation",
    "create_person",
    "edit_organisation",
    "list_organisations",
    "lookup_person",
    "masked_bank",
    "organisation",
    "organisation_form",
    "organisations",
    "person_for_agent",
    "person_labour",
    "register_organisation",
    "register_person",
    "set_baseline",
    "set_labour_status",
    "set_working_age",
]
__getattr__ = exports(
    __name__,
    {
        "AGE_LIMITS": "labour",
        "LABELS": "register",
        "OrgFilter": "register",
        "OrganisationInput": "register",
        "PersonInput": "persons",
        "PersonRef": "reach",
        "create_organisation": "persons",
        "create_person": "persons",
        "edit_organisation": "register",
        "list_organisations": "register",
        "lookup_person": "reach",
        "masked_bank": "register",
        "organisation": "organisation_view",
        "organisation_form": "organisation_view",
        "organisations": "organisation_view",
        "person_for_agent": "reach",
        "person_labour": "labour",
        "register_organisation": "register",
        "register_person": "reach",
        "set_baseline": "labour",
        "set_labour_status": "labour",
        "set_working_age": "labour",
    },
)
