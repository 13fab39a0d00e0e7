"""People, their labour data, the register of organisations and an agent's reach.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .labour import AGE_LIMITS, person_labour, set_baseline, set_labour_status, set_working_age
    from .org_checks import LABELS, OrganisationInput
    from .org_queries import OrgFilter, list_organisations, masked_bank
    from .organisation_view import organisation, organisation_form, organisations
    from .persons import PersonInput, create_organisation, create_person
    from .reach import PersonRef, lookup_person, person_for_agent, register_person
    from .register import edit_organisation, register_organisation

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
        "LABELS": "org_checks",
        "OrgFilter": "org_queries",
        "OrganisationInput": "org_checks",
        "PersonInput": "persons",
        "PersonRef": "reach",
        "create_organisation": "persons",
        "create_person": "persons",
        "edit_organisation": "register",
        "list_organisations": "org_queries",
        "lookup_person": "reach",
        "masked_bank": "org_queries",
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
