"""Public-welfare posts and their contracts: the list, setting up a post, proposing a contract,
and the contract page with the steps taken from it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from store import contracts
from store.access import SignedIn
from store.contracts import ENDING_SOON_DAYS, ContractFilter, ContractInput, PostInput, days_left
from store.db import Database
from workflow.dates import max_term_end, parse_day
from workflow.errors import Conflict, DomainError, ValidationFailed
from workflow.machines import CONTRACT
from workflow.money import parse_yuan
from workflow.roles import ROLE_LABELS, Role
from workflow.states import STATE_LABELS, TARGET_GROUP_LABELS, ContractState

from ..i18n import N_
from .guard import STAFF_ROLES, language, require

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
KIND_LABELS = {"service_agreement": N_("劳务协议"), "labour_contract": N_("劳动合同")}
CAPACITY_LABELS = {"full": N_("全劳力"), "weak": N_("弱劳力"), "half": N_("半劳力"), "none": N_("无劳动力")}
STEP_LABELS = {s.trigger: s.label for s in (*CONTRACT.creation, *CONTRACT.steps)}
STALE = N_("该协议已被其他人处理或修改，请查看最新状态后再操作。")


class ContractController(Controller):
    path = "/contracts"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        require(who, *STAFF_ROLES)
        f = ContractFilter(
            state=status if status in ContractState.__members__.values() else None,
            village_id=village,
            page=max(page, 1),
        )
        view = contracts.contracts_index(db, who.actor, f)
        return Template(
            "contracts.html",
            context=_ctx(
                request,
                who,
                {
                    "posts": view.posts,
                    "contracts": view.contracts,
                    "ending": view.ending,
                    "filters": f,
                    "villages": view.villages,
                    "village_names": {v.id: v.name for v in view.villages},
                    "states": list(ContractState),
                    "today": view.today,
                    "renewals": view.renewals,
                    "days_left": days_left,
                    "soon": ENDING_SOON_DAYS,
                    "done": request.query_params.get("done"),
                },
            ),
        )

    @get("/posts/new", sync_to_thread=True)
    def new_post(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        village: FromQuery[int | None] = None,
    ) -> Template:
        require(who, Role.HR)
        return _post_form(request, db, who, {"village_id": str(village or "")})

    @post("/posts", sync_to_thread=True, status_code=303)
    def add_post(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        require(who, Role.HR)
        try:
            inp = PostInput(
                village_id=_int(data.get("village_id"), "village_id", "行政村"),
                title=data.get("title", ""),
                monthly_subsidy=parse_yuan(data.get("monthly_subsidy", ""), "月补贴"),
                places=_int(data.get("places"), "places", "名额"),
                graduate_post=bool(data.get("graduate_post")),
            )
            post_id = contracts.set_up_post(db, who.actor, inp)
        except DomainError as exc:
            return _post_form(request, db, who, data, status=exc.status, error=exc.message)
        return Redirect(f"/contracts?done=post#post-{post_id}", status_code=303)

    @get("/new", sync_to_thread=True)
    def new_contract(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        post_id: FromQuery[int | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Response[Any]:
        require(who, Role.HR)
        if post_id is None:  # a contract is always proposed on a post: pick one first
            return Redirect("/contracts#posts")
        return _contract_form(request, db, who, post_id, q or "", {})

    @post("/", sync_to_thread=True, status_code=303)
    def propose(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        require(who, Role.HR)
        post_id = _int(data.get("post_id"), "post_id", "岗位")
        try:
            if not data.get("person_id"):
                raise ValidationFailed("validation.required", "请先查找并选择帮扶对象", field="person_id")
            inp = ContractInput(
                post_id=post_id,
                person_id=_int(data.get("person_id"), "person_id", "帮扶对象"),
                start_date=parse_day(data.get("start_date"), "start_date", "开始日期"),
                end_date=parse_day(data.get("end_date"), "end_date", "结束日期"),
                kind=data.get("kind", ""),
            )
            contract_id = contracts.propose(db, who.actor, inp)
        except DomainError as exc:
            return _contract_form(
                request, db, who, post_id, data.get("q", ""), data, status=exc.status, error=exc.message
            )
        return Redirect(f"/contracts/{contract_id}?done=submit", status_code=303)

    @get("/{contract_id:int}", sync_to_thread=True)
    def contract(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        contract_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        return _contract_page(request, db, who, contract_id)

    @post("/{contract_id:int}/act", sync_to_thread=True, status_code=303)
    def act(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        contract_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        trigger = data.get("trigger", "")
        try:
            version: int | None = int(data.get("version", ""))
        except ValueError:
            version = None
        try:
            target = contracts.take_contract_step(
                db,
                who.actor,
                contract_id,
                trigger,
                expected_version=version,
                comment=(data.get("comment") or "").strip() or None,
                policy_no=data.get("policy_no", "").strip(),
                terminated_on=data.get("terminated_on") or None,
                end_date=data.get("end_date") or None,
            )
        except Conflict:
            return _contract_page(request, db, who, contract_id, status=409, error=STALE)
        except DomainError as exc:
            return _contract_page(request, db, who, contract_id, status=exc.status, error=exc.message)
        return Redirect(f"/contracts/{target}?done={trigger}", status_code=303)


def _contract_page(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    contract_id: int,
    status: int = 200,
    error: str | None = None,
) -> Template:
    view = contracts.contract_page(db, who.actor, contract_id)
    contract = view.contract
    done = request.query_params.get("done")
    return Template(
        "contract.html",
        status_code=status,
        context=_ctx(
            request,
            who,
            {
                "contract": contract,
                "person": contract.person,
                "post": contract.post,
                "id_masked": view.id_masked,
                "history": view.history,
                "actions": {a.trigger: a for a in view.actions},
                "now": view.now,
                "reminders": view.reminders,
                "days_left": view.days_left,
                "soon": ENDING_SOON_DAYS,
                "renew_end": view.renew_end,
                "latest_termination": view.latest_termination,
                "renewal": view.renewal,
                "error": error,
                "done": STEP_LABELS.get(done or "") if done else None,
            },
        ),
    )


def _post_form(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    values: dict[str, str],
    status: int = 200,
    error: str | None = None,
) -> Template:
    villages = contracts.villages_for(db, who.actor)
    return Template(
        "post_form.html",
        status_code=status,
        context=_ctx(request, who, {"villages": villages, "values": values, "error": error}),
    )


def _contract_form(
    request: Request[Any, Any, Any],
    db: Database,
    who: SignedIn,
    post_id: int,
    q: str,
    values: dict[str, str],
    status: int = 200,
    error: str | None = None,
) -> Template:
    form = contracts.contract_form(db, who.actor, post_id, q, values.get("person_id", ""))
    today = form.today
    return Template(
        "contract_form.html",
        status_code=status,
        context=_ctx(
            request,
            who,
            {
                "post": form.post,
                "q": q,
                "people": form.people,
                "holding": form.holding,
                "chosen": form.chosen,
                "masked": form.masked,
                "start": values.get("start_date") or today.isoformat(),
                "end": values.get("end_date") or max_term_end(today).isoformat(),
                "kind": values.get("kind") or "service_agreement",
                "error": error,
                "search_error": form.search_error,
            },
        ),
    )


def _int(raw: str | None, field: str, label: str) -> int:
    try:
        return int(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed("validation.not_a_number", f"“{label}”须为整数", field=field) from None


def _ctx(request: Request[Any, Any, Any], who: SignedIn, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "lang": language(request, who),
        "who": who,
        "labels": STATE_LABELS,
        "roles": sorted(r.value for r in who.actor.roles),
        "role_labels": {r.value: label for r, label in ROLE_LABELS.items()},
        "group_labels": TARGET_GROUP_LABELS,
        "capacity_labels": CAPACITY_LABELS,
        "kind_labels": KIND_LABELS,
        "step_labels": STEP_LABELS,
        "can_set_up": Role.HR in who.actor.roles,
        "can_edit_posts": bool(who.actor.roles & {Role.HR, Role.ADMIN}),
        **extra,
    }
