"""Public-welfare posts and their contracts: the list, setting up a post, proposing a contract,
and the contract page with the steps taken from it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow import engine
from workflow.dates import max_term_end
from workflow.errors import Conflict, DomainError, NotFound, ValidationFailed
from workflow.identity import mask
from workflow.machines import CONTRACT
from workflow.money import parse_yuan
from workflow.roles import ROLE_LABELS, Role
from workflow.states import STATE_LABELS, TARGET_GROUP_LABELS, ContractState
from workflow.store import notifications
from workflow.store.contracts import (
    ContractInput,
    latest_termination,
    propose_contract,
    record_insurance,
    renew_contract,
    terminate_contract,
)
from workflow.store.db import Database
from workflow.store.inbox import villages_of
from workflow.store.models import Contract, ContractHistory, Person, Post
from workflow.store.posts import (
    ENDING_SOON_DAYS,
    ContractFilter,
    PostInput,
    county_wide,
    create_post,
    days_left,
    ending_within,
    holding_people,
    list_contracts,
    people_for_post,
    posts_by_village,
    visible_post,
)
from workflow.store.sessions import SignedIn
from workflow.store.transitions import transition

from ..i18n import N_
from .guard import STAFF_ROLES, language, require

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
KIND_LABELS = {"service_agreement": N_("劳务协议"), "labour_contract": N_("劳动合同")}
CAPACITY_LABELS = {"full": N_("全劳力"), "weak": N_("弱劳力"), "half": N_("半劳力"), "none": N_("无劳动力")}
STEP_LABELS = {s.trigger: s.label for s in (*CONTRACT.creation, *CONTRACT.steps)}
STALE = N_("该协议已被其他人处理或修改，请查看最新状态后再操作。")
POLICY_NO_MAX = 40  # contract.insurance_policy_no is VARCHAR(40)


def visible_contract(db: Database, who: SignedIn, contract_id: int) -> Contract:
    """A village verifier sees their villages' contracts; county staff see all."""
    with db.sessions() as session:
        contract = session.scalar(
            select(Contract)
            .where(Contract.id == contract_id)
            .options(selectinload(Contract.person), selectinload(Contract.post).selectinload(Post.village))
        )
    if contract is None or not (county_wide(who.actor) or contract.village_id in who.actor.village_ids):
        raise NotFound("not_found.contract", "未找到该协议", id=contract_id)
    return contract


class ContractController(Controller):
    path = "/contracts"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request[Any, Any, Any],
        state: State,
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
        page: FromQuery[int] = 1,
    ) -> Template:
        require(who, *STAFF_ROLES)
        db: Database = state.db
        today = db.clock.now().date()
        f = ContractFilter(
            state=status if status in ContractState.__members__.values() else None,
            village_id=village,
            page=max(page, 1),
        )
        with db.sessions() as session:
            posts = posts_by_village(session, who.actor, today, f.village_id)
            contracts = list_contracts(session, who.actor, f)
            ending = ending_within(session, who.actor, today)
            villages = villages_of(session, who.actor)
        return Template(
            "contracts.html",
            context=_ctx(
                request,
                who,
                {
                    "posts": posts,
                    "contracts": contracts,
                    "ending": ending,
                    "filters": f,
                    "villages": villages,
                    "village_names": {v.id: v.name for v in villages},
                    "states": list(ContractState),
                    "today": today,
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
        state: State,
        who: NamedDependency[SignedIn],
        village: FromQuery[int | None] = None,
    ) -> Template:
        require(who, Role.HR)
        return _post_form(request, state.db, who, {"village_id": str(village or "")})

    @post("/posts", sync_to_thread=True, status_code=303)
    def add_post(
        self,
        request: Request[Any, Any, Any],
        state: State,
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        require(who, Role.HR)
        db: Database = state.db
        try:
            inp = PostInput(
                village_id=_int(data.get("village_id"), "village_id", "行政村"),
                title=data.get("title", ""),
                monthly_subsidy=parse_yuan(data.get("monthly_subsidy", ""), "月补贴"),
                places=_int(data.get("places"), "places", "名额"),
                graduate_post=bool(data.get("graduate_post")),
            )
            with db.transaction() as session:
                created = create_post(session, who.actor, inp)
                post_id = created.id
        except DomainError as exc:
            return _post_form(request, db, who, data, status=exc.status, error=exc.message)
        return Redirect(f"/contracts?done=post#post-{post_id}", status_code=303)

    @get("/new", sync_to_thread=True)
    def new_contract(
        self,
        request: Request[Any, Any, Any],
        state: State,
        who: NamedDependency[SignedIn],
        post_id: FromQuery[int | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Response[Any]:
        require(who, Role.HR)
        if post_id is None:  # a contract is always proposed on a post: pick one first
            return Redirect("/contracts#posts")
        return _contract_form(request, state.db, who, post_id, q or "", {})

    @post("/", sync_to_thread=True, status_code=303)
    def propose(
        self,
        request: Request[Any, Any, Any],
        state: State,
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        require(who, Role.HR)
        db: Database = state.db
        post_id = _int(data.get("post_id"), "post_id", "岗位")
        try:
            if not data.get("person_id"):
                raise ValidationFailed("validation.required", "请先查找并选择帮扶对象", field="person_id")
            inp = ContractInput(
                post_id=post_id,
                person_id=_int(data.get("person_id"), "person_id", "帮扶对象"),
                start_date=_date(data.get("start_date"), "start_date", "开始日期"),
                end_date=_date(data.get("end_date"), "end_date", "结束日期"),
                kind=data.get("kind", ""),
            )
            with db.transaction() as session:
                contract_id = propose_contract(session, db, who.actor, inp).id
        except DomainError as exc:
            return _contract_form(
                request, db, who, post_id, data.get("q", ""), data, status=exc.status, error=exc.message
            )
        return Redirect(f"/contracts/{contract_id}?done=submit", status_code=303)

    @get("/{contract_id:int}", sync_to_thread=True)
    def contract(
        self,
        request: Request[Any, Any, Any],
        state: State,
        contract_id: FromPath[int],
        who: NamedDependency[SignedIn],
    ) -> Template:
        return _contract_page(request, state.db, who, contract_id)

    @post("/{contract_id:int}/act", sync_to_thread=True, status_code=303)
    def act(
        self,
        request: Request[Any, Any, Any],
        state: State,
        contract_id: FromPath[int],
        who: NamedDependency[SignedIn],
        data: Annotated[dict[str, str], FORM],
    ) -> Response[Any]:
        db: Database = state.db
        visible_contract(db, who, contract_id)
        trigger = data.get("trigger", "")
        try:
            version: int | None = int(data.get("version", ""))
        except ValueError:
            version = None
        comment = (data.get("comment") or "").strip() or None
        target = contract_id
        try:
            if trigger == "record_insurance":
                policy_no = data.get("policy_no", "").strip()
                if len(policy_no) > POLICY_NO_MAX:
                    raise ValidationFailed(
                        "validation.too_long", f"保单号不能超过{POLICY_NO_MAX}个字符", field="policy_no"
                    )
                record_insurance(db, who.actor, contract_id, policy_no, version)
            elif trigger == "terminate":
                day = data.get("terminated_on") or None
                terminate_contract(
                    db,
                    who.actor,
                    contract_id,
                    comment,
                    version,
                    terminated_on=_date(day, "terminated_on", "退岗日期") if day else None,
                )
            elif trigger == "renew":
                end = data.get("end_date") or None
                successor = renew_contract(
                    db,
                    who.actor,
                    contract_id,
                    expected_version=version,
                    end_date=_date(end, "end_date", "续签结束日期") if end else None,
                )
                target = successor.id
            else:
                transition(
                    db, "contract", contract_id, trigger, who.actor, comment=comment, expected_version=version
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
    contract = visible_contract(db, who, contract_id)
    now = db.clock.now()
    with db.sessions() as session:
        history = list(
            session.scalars(
                select(ContractHistory)
                .where(ContractHistory.contract_id == contract_id)
                .order_by(ContractHistory.id)
            )
        )
        reminders = list(
            notifications.for_subject(session, "contract", contract_id, kinds=("renewal_reminder",))
        )
    actions = engine.available(CONTRACT, contract, who.actor, now)
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
                "id_masked": mask(db.vault.decrypt(contract.person.id_number_enc)),
                "history": history,
                "actions": {a.trigger: a for a in actions},
                "now": now,
                "reminders": reminders,
                "days_left": days_left(contract, now.date()),
                "soon": ENDING_SOON_DAYS,
                "renew_end": max_term_end(contract.end_date + timedelta(days=1)),
                "latest_termination": latest_termination(contract, now.date()),
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
    with db.sessions() as session:
        villages = villages_of(session, who.actor)
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
    today = db.clock.now().date()
    search_error = None
    with db.sessions() as session:
        found = visible_post(session, who.actor, post_id)
        if found is None:
            raise NotFound("not_found.post", "未找到该岗位", id=post_id)
        try:
            people = people_for_post(session, found, q)
        except DomainError as exc:
            people, search_error = [], exc.message
        chosen = values.get("person_id", "")
        if chosen.isdigit() and int(chosen) not in {p.id for p in people}:
            kept = session.get(Person, int(chosen))
            if kept is not None and kept.village_id == found.village_id:
                people.insert(0, kept)
        holding = holding_people(session, [p.id for p in people], today)
    if len(people) == 1 and not chosen:
        chosen = str(people[0].id)
    return Template(
        "contract_form.html",
        status_code=status,
        context=_ctx(
            request,
            who,
            {
                "post": found,
                "q": q,
                "people": people,
                "holding": holding,
                "chosen": chosen,
                "masked": {p.id: mask(db.vault.decrypt(p.id_number_enc)) for p in people},
                "start": values.get("start_date") or today.isoformat(),
                "end": values.get("end_date") or max_term_end(today).isoformat(),
                "kind": values.get("kind") or "service_agreement",
                "error": error,
                "search_error": search_error,
            },
        ),
    )


def _int(raw: str | None, field: str, label: str) -> int:
    try:
        return int(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed("validation.not_a_number", f"“{label}”须为整数", field=field) from None


def _date(raw: str | None, field: str, label: str) -> date:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed(
            "validation.date", f"“{label}”须为日期（如 2026-12-01）", field=field
        ) from None


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
        **extra,
    }
