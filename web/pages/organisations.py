"""The register of organisations (申报单位) for HR and the admin: list, page, register, edit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from store import people
from store.access import SignedIn
from store.db import Database
from workflow.errors import DomainError, ValidationFailed
from workflow.roles import Role
from workflow.states import ORG_KIND_LABELS, OrgKind

from ..i18n import N_
from .cases import FORM, form_value, page_context
from .guard import require

KEEPERS = (Role.HR, Role.ADMIN)
FIX_MARKED = N_("请更正标出的项目；未保存任何更改。")
DONE = {
    "registered": N_("申报单位已登记。"),
    "edited": N_("修改已保存，并已记入变更记录。"),
    "unchanged": N_("没有任何改动。"),
}
FIELDS = (
    "name",
    "kind",
    "credit_code",
    "recognition_doc_no",
    "recognised_on",
    "village_id",
    "bank_account",
    "contact_name",
    "contact_phone",
)


def _many(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _form_input(data: dict[str, Any]) -> people.OrganisationInput:
    """What the form says, parsed; a date or number that cannot be read names its field."""
    errors: dict[str, str] = {}
    raw_day = form_value(data, "recognised_on", last=True).strip()
    day = None
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            errors["recognised_on"] = N_("“认定日期”须为日期，如 2026-06-01")
    raw_village = form_value(data, "village_id", last=True).strip()
    if raw_village and not raw_village.isdigit():
        errors["village_id"] = N_("所选行政村不存在")
    agents = _many(data, "agent_ids")
    if not all(a.isdigit() for a in agents):
        errors["agent_ids"] = N_("所选“经办人”须为在用的申报主体经办人账号")
    if errors:
        first = next(iter(errors))
        code = "validation.date" if first == "recognised_on" else "validation.not_a_number"
        raise ValidationFailed(code, errors[first], field=first, errors=errors)
    return people.OrganisationInput(
        name=form_value(data, "name", last=True),
        kind=form_value(data, "kind", last=True),
        credit_code=form_value(data, "credit_code", last=True),
        recognised=bool(form_value(data, "recognised", last=True)),
        recognition_doc_no=form_value(data, "recognition_doc_no", last=True),
        recognised_on=day,
        first_business=bool(form_value(data, "first_business", last=True)),
        village_id=int(raw_village) if raw_village else None,
        bank_account=form_value(data, "bank_account", last=True) or None,
        clear_bank_account=bool(form_value(data, "clear_bank_account", last=True)),
        contact_name=form_value(data, "contact_name", last=True),
        contact_phone=form_value(data, "contact_phone", last=True),
        agent_ids=tuple(int(a) for a in agents),
    )


def _field_errors(exc: DomainError) -> dict[str, str]:
    found = exc.details.get("errors")
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    field = exc.details.get("field")
    return {str(field): exc.message} if field else {}


class OrganisationController(Controller):
    path = "/organisations"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        q: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        require(who, *KEEPERS)
        f = people.OrgFilter(
            q=(q or "").strip()[:50] or None,
            kind=kind if kind in OrgKind.__members__.values() else None,
            page=page,
        )
        found = people.organisations(db, f)
        return Template(
            "organisations.html",
            context=page_context(
                request,
                who,
                {"found": found, "filters": f, "kinds": ORG_KIND_LABELS, "masked_bank": people.masked_bank},
            ),
        )

    @get("/new", sync_to_thread=True)
    def new(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database], who: NamedDependency[SignedIn]
    ) -> Template:
        require(who, *KEEPERS)
        return _form(request, db, who, None, {})

    @post("/", sync_to_thread=True, status_code=303)
    def create(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, *KEEPERS)
        try:
            org_id = people.register_organisation(db, who.actor, _form_input(data))
        except DomainError as exc:
            return _form(request, db, who, None, data, status=exc.status, error=exc)
        return Redirect(f"/organisations/{org_id}?done=registered", status_code=303)

    @get("/{org_id:int}", sync_to_thread=True)
    def detail(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        org_id: FromPath[int],
        who: NamedDependency[SignedIn],
        done: FromQuery[str | None] = None,
    ) -> Template:
        require(who, *KEEPERS)
        page = people.organisation(db, org_id)
        org = page.org
        return Template(
            "organisation.html",
            context=page_context(
                request,
                who,
                {
                    "org": org,
                    "kinds": ORG_KIND_LABELS,
                    "village": page.village,
                    "agents": page.agents,
                    "history": page.history,
                    "bank": people.masked_bank(org),
                    "field_labels": people.LABELS,
                    "done": DONE.get(done or ""),
                },
            ),
        )

    @get("/{org_id:int}/edit", sync_to_thread=True)
    def edit(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        org_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        require(who, *KEEPERS)
        return _form(request, db, who, org_id, None)

    @post("/{org_id:int}", sync_to_thread=True, status_code=303)
    def save(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        org_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Response[Any]:
        require(who, *KEEPERS)
        try:
            changed = people.edit_organisation(db, who.actor, org_id, _form_input(data))
        except DomainError as exc:
            return _form(request, db, who, org_id, data, status=exc.status, error=exc)
        done = "edited" if changed else "unchanged"
        return Redirect(f"/organisations/{org_id}?done={done}", status_code=303)


def _form(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    org_id: int | None,
    typed: dict[str, Any] | None,
    status: int = 200,
    error: DomainError | None = None,
) -> Template:
    """The register / edit form: what was typed after a refusal, else what is on file."""
    form = people.organisation_form(db, who.actor, org_id)
    org = form.org
    if typed is not None:
        values = {k: form_value(typed, k, last=True) for k in FIELDS}
        flags = {k: bool(form_value(typed, k, last=True)) for k in ("recognised", "first_business")}
        chosen = {int(a) for a in _many(typed, "agent_ids") if a.isdigit()}
    elif org is not None:
        values = {
            "name": org.name,
            "kind": org.kind,
            "credit_code": org.credit_code or "",
            "recognition_doc_no": org.recognition_doc_no or "",
            "recognised_on": org.recognised_on.isoformat() if org.recognised_on else "",
            "village_id": str(org.village_id or ""),
            "bank_account": "",
            "contact_name": org.contact_name or "",
            "contact_phone": org.contact_phone or "",
        }
        flags = {"recognised": org.recognised, "first_business": org.first_business}
        chosen = form.acting
    else:
        values, flags, chosen = {k: "" for k in FIELDS}, {}, set()
    values["bank_account"] = ""  # an account typed is never sent back to the browser
    errors = _field_errors(error) if error else {}
    return Template(
        "organisation_form.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "org": org,
                "values": values,
                "flags": flags,
                "chosen": chosen,
                "choices": form.choices,
                "villages": form.villages,
                "kinds": ORG_KIND_LABELS,
                "errors": errors,
                "bank": people.masked_bank(org) if org else "",
                "error": (FIX_MARKED if errors else error.message) if error else None,
            },
        ),
    )
