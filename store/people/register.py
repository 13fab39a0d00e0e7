"""The register of organisations (申报单位) that HR and the admin keep: checked, stored with the
bank account encrypted, every change recorded (who, when, old → new, the account masked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow.errors import NotFound, TransitionRefused, ValidationFailed
from workflow.identity import normalise_bank_account, normalise_credit_code
from workflow.roles import Actor, Role
from workflow.rules import ClaimantFacts
from workflow.states import ORG_KIND_LABELS, OrgKind

from ..db import Database
from ..models import ApiToken, Organisation, User, Village
from .org_models import OrganisationHistory

PAGE_SIZE = 50
RECOGNISABLE = frozenset({OrgKind.EMPLOYMENT_BASE, OrgKind.WORKSHOP})
NOT_A_BUSINESS = frozenset({OrgKind.VILLAGE_COMMITTEE, OrgKind.PERSON})  # never 首次创办
LABELS = {
    "name": "单位名称",
    "kind": "单位类型",
    "credit_code": "统一社会信用代码",
    "recognised": "是否认定",
    "recognition_doc_no": "认定文件文号",
    "recognised_on": "认定日期",
    "first_business": "首次创办",
    "village_id": "所在行政村",
    "bank_account": "银行账号",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "agent_ids": "经办人",
}
MAX_LEN = {"name": 100, "recognition_doc_no": 60, "contact_name": 50}


@dataclass(frozen=True)
class OrganisationInput:
    name: str
    kind: str
    credit_code: str | None = None
    recognised: bool = False
    recognition_doc_no: str | None = None
    recognised_on: date | None = None
    first_business: bool = False
    village_id: int | None = None
    bank_account: str | None = None  # on an edit, None keeps the account on file
    clear_bank_account: bool = False
    contact_name: str | None = None
    contact_phone: str | None = None
    agent_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrgFilter:
    q: str | None = None
    kind: str | None = None
    page: int = 1


@dataclass
class OrgPage:
    rows: list[Organisation]
    agents: dict[int, int]  # organisation id → its active agents
    total: int
    page: int
    pages: int


@dataclass
class _Errors:
    found: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, name: str, code: str, message: str) -> None:
        self.found.setdefault(name, (code, message))

    def raise_any(self) -> None:
        if not self.found:
            return
        name, (code, message) = next(iter(self.found.items()))
        raise ValidationFailed(code, message, field=name, errors={k: m for k, (_, m) in self.found.items()})


def claimant_facts(org: Organisation) -> ClaimantFacts:
    """What the rules read of a claimant; the recognition date only while it is recognised."""
    return ClaimantFacts(
        org.id,
        org.kind,
        org.recognised,
        org.first_business,
        recognised_on=org.recognised_on if org.recognised else None,
        recognition_doc_no=org.recognition_doc_no if org.recognised else None,
    )


def _require_register_keeper(actor: Actor) -> None:
    if not actor.roles & {Role.HR, Role.ADMIN}:
        raise TransitionRefused(
            "organisation.hr_or_admin_only", "只有县人社局审核员或系统管理员可以登记和修改申报单位"
        )


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _phone(raw: str | None, errors: _Errors) -> str | None:
    text = _text(raw)
    if text is None:
        return None
    digits = text.replace("-", "").replace(" ", "")
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        errors.add(
            "contact_phone",
            "validation.phone",
            "“联系电话”应为手机号码或带区号的固定电话，如 13812345678 或 0887-8412345",
        )
    return text


def _checked(
    session: Session,
    db: Database,
    inp: OrganisationInput,
    org_id: int | None,
) -> dict[str, Any]:
    """The columns to store (bank account still plain), or every field's error at once."""
    errors = _Errors()
    values: dict[str, Any] = {
        "name": _text(inp.name),
        "kind": inp.kind,
        "recognition_doc_no": _text(inp.recognition_doc_no),
        "contact_name": _text(inp.contact_name),
    }
    if values["name"] is None:
        errors.add("name", "validation.required", "缺少“单位名称”")
    for name, limit in MAX_LEN.items():
        if values[name] and len(values[name]) > limit:
            errors.add(name, "validation.too_long", f"“{LABELS[name]}”不能超过{limit}个字")
    kind_ok = inp.kind in OrgKind.__members__.values()
    if not kind_ok:
        errors.add("kind", "validation.org_kind", "请选择单位类型")
    values["credit_code"] = None
    if _text(inp.credit_code):
        try:
            code = normalise_credit_code(str(inp.credit_code))
        except ValidationFailed as exc:
            errors.add("credit_code", exc.code, exc.message)
        else:
            values["credit_code"] = code
            holder = session.scalar(
                select(Organisation).where(Organisation.credit_code == code, Organisation.id != (org_id or 0))
            )
            if holder is not None:
                errors.add(
                    "credit_code",
                    "validation.credit_code_taken",
                    f"该统一社会信用代码已由“{holder.name}”登记",
                )
    values["recognised"] = inp.recognised
    values["recognised_on"] = inp.recognised_on if inp.recognised else None
    if not inp.recognised:
        values["recognition_doc_no"] = None
    elif kind_ok and inp.kind not in RECOGNISABLE:
        errors.add("recognised", "validation.recognised_kind", "只有就业帮扶基地或就业帮扶车间可以登记认定")
    else:
        if values["recognition_doc_no"] is None:
            errors.add("recognition_doc_no", "validation.required", "已认定的须填写“认定文件文号”")
        if inp.recognised_on is None:
            errors.add("recognised_on", "validation.required", "已认定的须填写“认定日期”")
        elif inp.recognised_on > db.clock.now().date():
            errors.add("recognised_on", "validation.future_date", "“认定日期”不能晚于今天")
    values["first_business"] = inp.first_business
    if inp.first_business and inp.kind in NOT_A_BUSINESS:
        errors.add(
            "first_business",
            "validation.first_business_kind",
            "“首次创办”只适用于创业的经营实体，村委会和个人不适用",
        )
    values["village_id"] = inp.village_id
    if inp.village_id is not None and session.get(Village, inp.village_id) is None:
        errors.add("village_id", "validation.village", "所选行政村不存在")
    if inp.village_id is None and inp.kind == OrgKind.VILLAGE_COMMITTEE:
        errors.add("village_id", "validation.required", "村委会须选择“所在行政村”")
    values["contact_phone"] = _phone(inp.contact_phone, errors)
    values["bank_account"] = None
    if _text(inp.bank_account) and not inp.clear_bank_account:
        try:
            values["bank_account"] = normalise_bank_account(str(inp.bank_account))
        except ValidationFailed as exc:
            errors.add("bank_account", exc.code, exc.message)
    agents = _agents(session, inp.agent_ids, errors)
    errors.raise_any()
    values["agents"] = agents
    return values


def _agents(session: Session, ids: tuple[int, ...], errors: _Errors) -> list[User]:
    users = list(session.scalars(select(User).where(User.id.in_(set(ids))).order_by(User.id))) if ids else []
    if len(users) != len(set(ids)) or any(
        Role.AGENT.value not in u.roles.split(",") or not u.active for u in users
    ):
        errors.add("agent_ids", "validation.agent", "所选“经办人”须为在用的申报主体经办人账号")
    return users


def _who(user: User) -> str:
    return f"{user.display_name}（{user.username}）"


def _shown(session: Session, org: Organisation, agents: list[User]) -> dict[str, str]:
    """Each field as the record of changes shows it: labels, names, the bank account masked."""
    village = session.get(Village, org.village_id) if org.village_id else None
    return {
        "name": org.name,
        "kind": ORG_KIND_LABELS.get(org.kind, org.kind),
        "credit_code": org.credit_code or "",
        "recognised": "是" if org.recognised else "否",
        "recognition_doc_no": org.recognition_doc_no or "",
        "recognised_on": org.recognised_on.isoformat() if org.recognised_on else "",
        "first_business": "是" if org.first_business else "否",
        "village_id": village.name if village else "",
        "bank_account": masked_bank(org),
        "contact_name": org.contact_name or "",
        "contact_phone": org.contact_phone or "",
        "agent_ids": "、".join(_who(u) for u in agents),
    }


def masked_bank(org: Organisation) -> str:
    return f"****{org.bank_last4}" if org.bank_last4 else ""


def agents_of(session: Session, org_id: int) -> list[User]:
    """The active agent accounts acting for the organisation (a deactivated one keeps its
    organisation, for the record, but is no longer offered or listed)."""
    return list(
        session.scalars(
            select(User)
            .where(User.org_id == org_id, User.active.is_(True), User.roles.contains(Role.AGENT.value))
            .order_by(User.id)
        )
    )


def _diff(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"field": k, "old": before.get(k, ""), "new": v} for k, v in after.items() if before.get(k, "") != v
    ]


def _record(
    session: Session, db: Database, actor: Actor, org_id: int, action: str, changes: list[dict[str, str]]
) -> None:
    session.add(
        OrganisationHistory(
            organisation_id=org_id,
            action=action,
            actor_id=actor.user_id,
            actor_name=actor.name or "",
            at=db.clock.now(),
            changes=changes,
        )
    )


def _apply(
    session: Session,
    db: Database,
    actor: Actor,
    org: Organisation,
    values: dict[str, Any],
    inp: OrganisationInput,
) -> None:
    for name in (
        "name",
        "kind",
        "credit_code",
        "recognised",
        "recognition_doc_no",
        "recognised_on",
        "first_business",
        "village_id",
        "contact_name",
        "contact_phone",
    ):
        setattr(org, name, values[name])
    if values["bank_account"]:
        org.bank_account_enc = db.vault.encrypt(values["bank_account"])
        org.bank_last4 = values["bank_account"][-4:]
    elif inp.clear_bank_account:
        org.bank_account_enc = org.bank_last4 = None
    session.flush()
    _move_agents(session, db, actor, org.id, values["agents"])


def _move_agents(session: Session, db: Database, actor: Actor, org_id: int, chosen: list[User]) -> None:
    """The chosen agents act for this organisation and no other: one that leaves an
    organisation loses the API tokens it held for it, and that organisation's record says so."""
    now = db.clock.now()
    keep = {u.id for u in chosen}
    leaving = [u for u in agents_of(session, org_id) if u.id not in keep]
    for user in chosen + leaving:
        old_org = user.org_id
        new_org = org_id if user.id in keep else None
        if old_org == new_org:
            continue
        if old_org is not None:
            for token in session.scalars(
                select(ApiToken).where(
                    ApiToken.user_id == user.id, ApiToken.org_id == old_org, ApiToken.revoked_at.is_(None)
                )
            ):
                token.revoked_at = now
            if old_org != org_id:
                _record(
                    session,
                    db,
                    actor,
                    old_org,
                    "agent_moved",
                    [{"field": "agent_ids", "old": _who(user), "new": ""}],
                )
        user.org_id = new_org
    session.flush()


def register_organisation(db: Database, actor: Actor, inp: OrganisationInput) -> int:
    """A new organisation on the register; its id."""
    _require_register_keeper(actor)
    with db.transaction() as session:
        values = _checked(session, db, inp, None)
        org = Organisation(name=values["name"], kind=values["kind"])
        session.add(org)
        session.flush()
        _apply(session, db, actor, org, values, inp)
        after = _shown(session, org, agents_of(session, org.id))
        _record(
            session,
            db,
            actor,
            org.id,
            "register",
            _diff({}, {k: v for k, v in after.items() if v not in ("", "否")}),
        )
        return org.id


def edit_organisation(db: Database, actor: Actor, org_id: int, inp: OrganisationInput) -> bool:
    """Store the changes, recording each field old → new; False if nothing changed."""
    _require_register_keeper(actor)
    with db.transaction() as session:
        org = session.scalar(select(Organisation).where(Organisation.id == org_id).with_for_update())
        if org is None:
            raise NotFound("not_found.organisation", "申报单位不存在", id=org_id)
        before = _shown(session, org, agents_of(session, org_id))
        values = _checked(session, db, inp, org_id)
        _apply(session, db, actor, org, values, inp)
        changes = _diff(before, _shown(session, org, agents_of(session, org_id)))
        if values["bank_account"] and not any(c["field"] == "bank_account" for c in changes):
            # A new account ending in the same four digits is still a change worth recording.
            changes.append(
                {
                    "field": "bank_account",
                    "old": before["bank_account"],
                    "new": masked_bank(org) + "（已更换）",
                }
            )
        if changes:
            _record(session, db, actor, org_id, "edit", changes)
        return bool(changes)


def get_organisation(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("not_found.organisation", "申报单位不存在", id=org_id)
    return org


def history_of(session: Session, org_id: int) -> list[OrganisationHistory]:
    return list(
        session.scalars(
            select(OrganisationHistory)
            .where(OrganisationHistory.organisation_id == org_id)
            .order_by(OrganisationHistory.id.desc())
        )
    )


def list_organisations(session: Session, f: OrgFilter) -> OrgPage:
    """The register, newest first: by name or credit code (``q``) and by kind."""
    q = select(Organisation)
    if f.kind:
        q = q.where(Organisation.kind == f.kind)
    if f.q:
        q = q.where(
            or_(
                Organisation.name.contains(f.q, autoescape=True),
                Organisation.credit_code.startswith(f.q.upper(), autoescape=True),
            )
        )
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(f.page, 1), pages)
    rows = list(
        session.scalars(q.order_by(Organisation.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    )
    ids = [o.id for o in rows]
    agents = (
        {
            org_id: n
            for org_id, n in session.execute(
                select(User.org_id, func.count())
                .where(User.org_id.in_(ids), User.active.is_(True), User.roles.contains(Role.AGENT.value))
                .group_by(User.org_id)
            ).all()
            if org_id is not None
        }
        if ids
        else {}
    )
    return OrgPage(rows, agents, total, page, pages)


def agent_choices(session: Session) -> list[tuple[User, str]]:
    """Every active agent account with the organisation it acts for now (to pick from)."""
    rows = session.execute(
        select(User, Organisation.name)
        .outerjoin(Organisation, Organisation.id == User.org_id)
        .where(User.active.is_(True), User.roles.contains(Role.AGENT.value))
        .order_by(User.username)
    )
    return [(user, name or "") for user, name in rows.all()]
