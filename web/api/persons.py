"""Agents register people or look them up by resident ID (sent in the body, never in a URL)."""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from sqlalchemy import select

from workflow.errors import NotFound, ValidationFailed
from workflow.roles import Actor
from workflow.store.db import Database
from workflow.store.models import Person, Village
from workflow.store.people import PersonInput, create_person, find_person, person_visible_to

from .common import PathId, problems
from .respond import encode, posted
from .schemas import PersonIn, PersonLookup, PersonOut
from .views import person_out


def _village(session: Any, code: str) -> Village:
    village = session.scalar(select(Village).where(Village.code == code))
    if village is None:
        raise ValidationFailed("validation.village", f"行政村代码“{code}”不存在", field="village_code")
    return village


class PersonController(Controller):
    path = "/persons"
    tags = ["persons"]

    @post(
        "/",
        operation_id="registerPerson",
        sync_to_thread=True,
        status_code=201,
        responses={**problems(404, 409, 422),
                   200: ResponseSpec(PersonOut, description="该身份证号已登记：返回原记录")},
        summary="登记帮扶对象（已登记则返回原记录）",
    )
    def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PersonIn],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[PersonOut]:
        def produce() -> tuple[int, Any]:
            with db.transaction() as session:
                village = _village(session, data.village_code)
                existing = find_person(session, db, data.id_number)
                if existing is not None:
                    if existing.name != data.name.strip():
                        raise ValidationFailed(
                            "validation.name_mismatch", "姓名与已登记的身份证号不一致", field="name"
                        )
                    return 200, person_out(existing, session.get(Village, existing.village_id), db.vault)
                person = create_person(
                    session,
                    db,
                    PersonInput(
                        name=data.name,
                        id_number=data.id_number,
                        village_id=village.id,
                        target_groups=tuple(data.target_groups),
                        labour_capacity=data.labour_capacity,
                        labour_force_override=data.labour_force_override,
                        phone=data.phone,
                        household_no=data.household_no,
                        bank_account=data.bank_account,
                        graduate_left_school=data.graduate_left_school,
                        registered_by_org_id=actor.org_id,
                    ),
                )
                return 201, person_out(person, village, db.vault, created=True)

        return posted(request, db, actor, encode(data), produce)

    @post(
        "/lookup",
        operation_id="lookupPerson",
        sync_to_thread=True,
        status_code=200,
        responses=problems(404, 422),
        summary="按身份证号查找帮扶对象",
    )
    def lookup(
        self, data: JSONBody[PersonLookup], db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> PersonOut:
        with db.sessions() as session:
            person = find_person(session, db, data.id_number)
            if person is None:
                raise NotFound("not_found.person", "未找到该身份证号对应的人员")
            return person_out(person, session.get(Village, person.village_id), db.vault)

    @get("/{person_id:int}", operation_id="getPerson", sync_to_thread=True, responses=problems(404))
    def read(
        self, person_id: PathId, db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> PersonOut:
        with db.sessions() as session:
            person = session.get(Person, person_id)
            if person is None or not person_visible_to(session, actor.org_id, person_id):
                raise NotFound("not_found.person", "未找到该人员", id=person_id)
            return person_out(person, session.get(Village, person.village_id), db.vault)
