"""Agents register people or look them up by resident ID (sent in the body, never in a URL).

What an agent reads of a person, and whom it may name by id, is decided by store.people.reach.
"""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from store.db import Database
from store.idempotency import Lease
from store.people import PersonInput, lookup_person, person_for_agent, register_person
from workflow.identity import mask
from workflow.roles import Actor

from .common import PathId, posted_problems, problems
from .respond import encode, posted_with_effect
from .schemas import PersonIn, PersonLinkOut, PersonLookup, PersonOut
from .views import person_out


class PersonController(Controller):
    path = "/persons"
    tags = ["persons"]

    @post(
        "/",
        operation_id="registerPerson",
        sync_to_thread=True,
        status_code=201,
        responses={
            **posted_problems(404, 409, 422),
            200: ResponseSpec(
                PersonLinkOut,
                description=("该身份证号已登记：本单位从此可用其编号申报，只返回编号、姓名和脱敏身份证号"),
            ),
        },
        summary="登记帮扶对象（已登记则关联本单位）",
    )
    def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PersonIn],
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
    ) -> Response[PersonOut]:
        def produce(lease: Lease | None) -> tuple[int, Any]:
            person, created = register_person(
                db,
                actor,
                PersonInput(
                    name=data.name,
                    id_number=data.id_number,
                    village_id=0,
                    target_groups=tuple(g.value for g in data.target_groups),
                    labour_capacity=data.labour_capacity.value,
                    labour_force_override=data.labour_force_override,
                    phone=data.phone,
                    household_no=data.household_no,
                    bank_account=data.bank_account,
                    graduate_left_school=data.graduate_left_school,
                ),
                data.village_code,
                None
                if lease is None
                else lambda s, pid, new: lease.note_effect(s, {"person_id": pid, "created": new}),
            )
            return answer(person, created)

        def answer(person: Any, created: bool) -> tuple[int, Any]:
            if created:
                return 201, person_out(person, db.vault, db.clock.now().date(), created=True)
            return 200, PersonLinkOut(person.id, person.name, mask(db.vault.decrypt(person.id_number_enc)))

        def recover(note: dict[str, Any]) -> tuple[int, Any]:  # its process died after it committed
            return answer(person_for_agent(db, actor, int(note["person_id"])), bool(note["created"]))

        return posted_with_effect(request, db, actor, encode(data), produce, recover)

    @post(
        "/lookup",
        operation_id="lookupPerson",
        sync_to_thread=True,
        status_code=200,
        responses=posted_problems(404, 422, 429),
        summary="按身份证号查找本单位登记或申报过的帮扶对象",
        description=(
            "只找得到本单位登记或申报过的人员；其他人与未登记的号码一样答404。"
            "每个经办人每分钟最多查找30次，超过答429（lookup.rate_limited，带 Retry-After）。"
        ),
    )
    def lookup(
        self, data: JSONBody[PersonLookup], db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> PersonOut:
        person = lookup_person(db, actor, data.id_number)
        return person_out(person, db.vault, db.clock.now().date())

    @get(
        "/{person_id:int}",
        operation_id="getPerson",
        sync_to_thread=True,
        responses=problems(404),
        summary="本单位登记或申报过的帮扶对象",
    )
    def read(
        self, person_id: PathId, db: NamedDependency[Database], actor: NamedDependency[Actor]
    ) -> PersonOut:
        person = person_for_agent(db, actor, person_id)
        return person_out(person, db.vault, db.clock.now().date())
