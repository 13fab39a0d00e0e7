"""The inbox, a claim's case page, and the steps taken from them (one or many at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow import engine
from workflow.errors import Conflict, DomainError, NotFound
from workflow.identity import mask
from workflow.machines import CLAIM
from workflow.roles import Role
from workflow.rules.figures import BUREAU_MARK
from workflow.states import STATE_LABELS, SUBSIDY_LABELS, ClaimState, SubsidyType
from workflow.store.claims import year_basis
from workflow.store.db import Database
from workflow.store.evidence import list_evidence, read_evidence
from workflow.store.guard_inputs import supply_guard_inputs
from workflow.store.inbox import Filters, claims_inbox, contracts_inbox, villages_of
from workflow.store.models import Claim, ClaimHistory, Evidence, Organisation
from workflow.store.policy import claim_figures
from workflow.store.sessions import SignedIn
from workflow.store.transitions import transition

from ..i18n import N_
from .guard import STAFF_ROLES, language, require

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def visible_claim(db: Database, who: SignedIn, claim_id: int) -> Claim:
    """A village verifier sees their villages' claims; county staff see all; others none."""
    with db.sessions() as session:
        claim = session.scalar(
            select(Claim)
            .where(Claim.id == claim_id)
            .options(selectinload(Claim.person), selectinload(Claim.claimant))
        )
    actor = who.actor
    county_wide = bool(actor.roles & {Role.HR, Role.FINANCE, Role.ADMIN})
    if claim is None or not (county_wide or claim.village_id in actor.village_ids):
        raise NotFound("not_found.claim", "未找到该申请", id=claim_id)
    return claim


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
        state: State,
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        subsidy_type: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
        batch: FromQuery[str | None] = None,
        overdue: FromQuery[bool] = False,
        q: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        require(who, *STAFF_ROLES)
        db: Database = state.db
        now = db.clock.now()
        filters = Filters(
            state=status if status in ClaimState.__members__.values() else None,
            subsidy_type=subsidy_type if subsidy_type in SubsidyType.__members__.values() else None,
            village_id=village,
            batch=batch or None,
            overdue=overdue,
            q=(q or "").strip()[:20] or None,
            cursor=cursor,
        )
        error = None
        with db.sessions() as session:
            try:
                page = claims_inbox(session, who.actor, now, filters)
            except DomainError as exc:  # a search too broad, a damaged cursor: say so, show all
                error = exc.message
                page = claims_inbox(session, who.actor, now, Filters())
            ids = [c.id for c in page.rows]
            rows = (
                list(
                    session.scalars(
                        select(Claim).where(Claim.id.in_(ids)).options(selectinload(Claim.person))
                    )
                )
                if ids
                else []
            )
            by_id = {c.id: c for c in rows}
            rows = [by_id[i] for i in ids]
            contracts = contracts_inbox(session, who.actor, limit=20)
            villages = {v.id: v for v in villages_of(session, who.actor)}
        return Template(
            "inbox.html",
            context=page_context(
                request,
                who,
                {
                    "page": page,
                    "rows": rows,
                    "now": now,
                    "filters": filters,
                    "villages": villages,
                    "error": error,
                    "contracts": contracts,
                    "subsidy_labels": SUBSIDY_LABELS,
                    "bulk_steps": CLAIM.bulk_steps,
                },
            ),
        )

    @get("/claims/{claim_id:int}", sync_to_thread=True)
    def case(
        self,
        request: Request[Any, Any, Any],
        state: State,
        claim_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        return _case_page(request, state.db, who, claim_id)

    @get("/claims/{claim_id:int}/evidence/{evidence_id:int}", sync_to_thread=True)
    def evidence_file(
        self,
        state: State,
        claim_id: FromPath[int],
        evidence_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Response[bytes]:
        db: Database = state.db
        visible_claim(db, who, claim_id)
        with db.sessions() as session:
            evidence = session.get(Evidence, evidence_id)
        if evidence is None or evidence.claim_id != claim_id:
            raise NotFound("not_found.evidence", "未找到该材料", id=evidence_id)
        # Shown inline (PDF and images open in the browser); the type was checked on upload.
        return Response(
            read_evidence(state.files, evidence),
            media_type=evidence.content_type,
            headers={
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(evidence.filename)}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @post("/claims/{claim_id:int}/act", sync_to_thread=True, status_code=303)
    def act(
        self,
        request: Request[Any, Any, Any],
        state: State,
        claim_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        db: Database = state.db
        visible_claim(db, who, claim_id)
        trigger = data.get("trigger", "")
        try:
            version = int(data.get("version", ""))
        except ValueError:
            version = None
        try:
            transition(
                db,
                "claim",
                claim_id,
                trigger,
                who.actor,
                comment=data.get("comment") or None,
                expected_version=version,
                attendance_days=data.get("attendance_days"),
            )
        except Conflict:
            return _case_page(
                request,
                db,
                who,
                claim_id,
                status=409,
                error=N_("该申请已被其他人处理或修改，请查看最新状态后再操作。"),
            )
        except DomainError as exc:
            return _case_page(request, db, who, claim_id, status=exc.status, error=exc.message)
        return Redirect(f"/claims/{claim_id}?done={trigger}", status_code=303)

    @post("/inbox/bulk", sync_to_thread=True)
    def bulk(
        self,
        request: Request[Any, Any, Any],
        state: State,
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, Any], FORM],
    ) -> Template:
        """Many cases, one step: each succeeds or fails on its own, with its own result."""
        db: Database = state.db
        trigger = str(data.get("trigger", ""))
        raw = data.get("ids", [])
        ids = [int(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).isdigit()]
        outcomes = []
        for claim_id in ids[:200]:
            try:
                visible_claim(db, who, claim_id)
                transition(
                    db, "claim", claim_id, trigger, who.actor, comment=str(data.get("comment") or "") or None
                )
                outcomes.append(Outcome(claim_id, True, N_("已办理")))
            except DomainError as exc:
                outcomes.append(Outcome(claim_id, False, exc.message))
        return Template(
            "bulk_result.html",
            context=page_context(
                request,
                who,
                {
                    "outcomes": outcomes,
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
) -> Template:
    claim = visible_claim(db, who, claim_id)
    now = db.clock.now()
    with db.sessions() as session:
        history = list(
            session.scalars(
                select(ClaimHistory).where(ClaimHistory.claim_id == claim_id).order_by(ClaimHistory.id)
            )
        )
        evidence = list_evidence(session, claim_id)
        claimant = session.get(Organisation, claim.claimant_org_id)
        supply_guard_inputs(session, "claim", claim)  # what the approve button's guards read
        basis = year_basis(session, claim)
        figures = claim_figures(session, claim.params_version_id, claim.subsidy_type)
    steps = engine.available(CLAIM, claim, who.actor, now)
    # A step that only a service takes (``pay``: the payout batch) is a link there, not a button.
    actions = [s for s in steps if engine.service_of(s) is None]
    elsewhere = {service for s in steps if (service := engine.service_of(s))}
    return Template(
        "claim.html",
        status_code=status,
        context=page_context(
            request,
            who,
            {
                "claim": claim,
                "person": claim.person,
                "claimant": claimant,
                "id_masked": mask(db.vault.decrypt(claim.person.id_number_enc)),
                "history": history,
                "evidence": evidence,
                "actions": actions,
                "now": now,
                "error": error,
                "done": request.query_params.get("done"),
                "year_basis": basis,
                # The business's other persons span villages: county staff only, never a verifier.
                "absorption": getattr(claim, "absorption", None) if who.actor.roles & COUNTY_ROLES else None,
                "figures": figures,
                "bureau_mark": BUREAU_MARK,
                "elsewhere": elsewhere,
                "subsidy_label": SUBSIDY_LABELS.get(claim.subsidy_type, claim.subsidy_type),
            },
        ),
    )


COUNTY_ROLES = frozenset({Role.HR, Role.FINANCE, Role.ADMIN})


def page_context(request: Request[Any, Any, Any], who: SignedIn, extra: dict[str, Any]) -> dict[str, Any]:
    """What every page's template reads (language, who is signed in, the state labels) and ``extra``."""
    return {
        "lang": language(request, who),
        "who": who,
        "labels": STATE_LABELS,
        "roles": sorted(r.value for r in who.actor.roles),
        **extra,
    }
