"""The inbox, a claim's case page, and the steps taken from them (one or many at once)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from store import claims
from store.access import SignedIn
from store.claims import Filters
from store.db import Database
from workflow.errors import Conflict, DomainError
from workflow.machines import CLAIM
from workflow.rules.figures import BUREAU_MARK
from workflow.states import STATE_LABELS, SUBSIDY_LABELS, ClaimState, SubsidyType

from ..downloads import NOSNIFF, file_response
from ..i18n import N_, gettext
from . import drafts
from .guard import STAFF_ROLES, language, require

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def form_value(data: dict[str, Any], key: str, *, last: bool = False) -> str:
    """One field of a posted form as text ("" when absent). A field sent twice (a hidden
    default followed by a checkbox) gives its first value, or its ``last``."""
    value = data.get(key)
    if isinstance(value, list):
        value = (value[-1] if last else value[0]) if value else ""
    return "" if value is None else str(value)


def inbox_filters(
    status: str | None,
    subsidy_type: str | None,
    village: int | None,
    batch: str | None,
    overdue: bool,
    q: str | None,
    *,
    cursor: str | None = None,
    held: str | None = None,
) -> Filters:
    """The inbox's filters as its query names them (the page and its export read them alike);
    a state, subsidy type or 认领 choice no claim can have is ignored."""
    return Filters(
        state=status if status in ClaimState.__members__.values() else None,
        subsidy_type=subsidy_type if subsidy_type in SubsidyType.__members__.values() else None,
        village_id=village,
        batch=batch or None,
        overdue=overdue,
        q=(q or "").strip()[:20] or None,
        cursor=cursor,
        held=held if held in ("mine", "free") else None,
    )


DONE = N_("已办理")


@dataclass
class Outcome:
    claim_id: int
    ok: bool
    message: str


class CaseController(Controller):
    path = "/"
    include_in_schema = False

    @get("/inbox", sync_to_thread=True)
    def inbox(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        subsidy_type: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
        batch: FromQuery[str | None] = None,
        overdue: FromQuery[bool] = False,
        q: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        held: FromQuery[str | None] = None,
    ) -> Template:
        require(who, *STAFF_ROLES)
        filters = inbox_filters(status, subsidy_type, village, batch, overdue, q, cursor=cursor, held=held)
        view = claims.inbox(db, who.actor, filters)
        lang = language(request, who)
        return Template(
            "inbox.html",
            context=page_context(
                request,
                who,
                {
                    # Each label translated once, not once on each of the 50 lines.
                    "type_names": {code: gettext(lang, name) for code, name in SUBSIDY_LABELS.items()},
                    "state_names": {state: gettext(lang, name) for state, name in STATE_LABELS.items()},
                    "page": view.page,
                    "rows": view.rows,
                    "now": view.now,
                    "filters": filters,
                    "villages": view.villages,
                    "error": view.error,
                    "contracts": view.contracts,
                    "subsidy_labels": SUBSIDY_LABELS,
                    "bulk_steps": CLAIM.bulk_steps,
                    "assignees": view.assignees,
                },
            ),
        )

    @get("/claims/{claim_id:int}", sync_to_thread=True)
    def case(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        claim_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        return _case_page(request, db, who, claim_id)

    @get("/claims/{claim_id:int}/evidence/{evidence_id:int}", sync_to_thread=True)
    def evidence_file(
        self,
        db: NamedDependency[Database],
        files: NamedDependency[Path],
        claim_id: FromPath[int],
        evidence_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Response[bytes]:
        evidence, content = claims.evidence_for_staff(db, files, who.actor, claim_id, evidence_id)
        # Shown inline (PDF and images open in the browser); the type was checked on upload.
        return file_response(
            content,
            evidence.filename,
            evidence.content_type,
            inline=True,
            headers={**NOSNIFF, "Cache-Control": "no-store"},  # an ID card or bank card: never kept
        )

    @post("/claims/{claim_id:int}/act", sync_to_thread=True, status_code=303)
    def act(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        claim_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        trigger = data.get("trigger", "")
        try:
            version = int(data.get("version", ""))
        except ValueError:
            version = None
        try:
            claims.take_claim_step(
                db,
                who.actor,
                claim_id,
                trigger,
                comment=data.get("comment") or None,
                expected_version=version,
                attendance_days=data.get("attendance_days"),
            )
        except Conflict as exc:  # the page says who acted last, and when
            return _case_page(
                request,
                db,
                who,
                claim_id,
                status=409,
                error=N_("该申请已被其他人处理或修改，请查看最新状态后再操作。"),
                acted=exc.details,
            )
        except DomainError as exc:  # what was typed stays in the form, to be corrected
            return _case_page(
                request, db, who, claim_id, status=exc.status, error=exc.message, typed=(data, trigger)
            )
        return Redirect(f"/claims/{claim_id}?done={trigger}", status_code=303)

    @post("/inbox/bulk", sync_to_thread=True)
    def bulk(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Template:
        """Many cases, one step: each succeeds or fails on its own, with its own result."""
        trigger = str(data.get("trigger", ""))
        raw = data.get("ids", [])
        ids = [int(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).isdigit()]
        comment = str(data.get("comment") or "").strip() or None
        error = None
        try:
            taken = claims.bulk_claim_step(db, who.actor, ids, trigger, comment)
        except DomainError as exc:  # a reason missing: none was taken
            taken, error = [], exc.message
        outcomes = [Outcome(o.claim_id, o.ok, o.error or DONE) for o in taken]
        return Template(
            "bulk_result.html",
            context=page_context(
                request,
                who,
                {
                    "outcomes": outcomes,
                    "error": error,
                    "comment": comment,
                    "trigger": trigger,
                    "label": next((s.label for s in CLAIM.steps if s.trigger == trigger), trigger),
                },
            ),
        )


def _case_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    claim_id: int,
    status: int = 200,
    error: str | None = None,
    acted: dict[str, Any] | None = None,
    typed: tuple[dict[str, str], str] | None = None,
) -> Template:
    view = claims.case(db, who.actor, claim_id)
    claim = view.claim
    # Typed before a refusal, or before the session expired (brought back through sign-in).
    draft, step = (typed[0], typed[1]) if typed else drafts.read_draft(request)
    return Template(
        "claim.html",
        status_code=status,
        cookies=drafts.spent(request, request.app.state.secure_cookies),
        context=page_context(
            request,
            who,
            {
                "claim": claim,
                "person": claim.person,
                "claimant": view.claimant,
                "id_masked": view.id_masked,
                "history": view.history,
                "evidence": view.evidence,
                "actions": view.actions,
                "now": view.now,
                "error": error,
                "acted": acted,  # a conflict: who acted last (``last_actor``, ``last_at``)
                "hold": view.hold,
                "may_take": view.may_take,
                "assignees": view.assignees,
                "done": request.query_params.get("done"),
                "year_basis": view.year_basis,
                "absorption": view.absorption,
                "figures": view.figures,
                "bureau_mark": BUREAU_MARK,
                "elsewhere": view.elsewhere,
                "documents": view.documents,
                "subsidy_label": SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
                "draft": draft,
                "restored": bool(draft) and not typed,  # say where it came from
                "step": step,
                "may_attach": claims.may_attach(who.actor, claim.state),
                "attached": request.query_params.get("attached") == "1",
            },
        ),
    )


case_page = _case_page  # the case page as the routes that act on a claim answer (holds, evidence)


def page_context(request: Request[Any, Any, Any], who: SignedIn, extra: dict[str, Any]) -> dict[str, Any]:
    """What every page's template reads (language, who is signed in, the state labels) and ``extra``."""
    return {
        "lang": language(request, who),
        "who": who,
        "labels": STATE_LABELS,
        "roles": sorted(r.value for r in who.actor.roles),
        **extra,
    }
