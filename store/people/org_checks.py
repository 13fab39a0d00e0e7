"""The checks on an organisation typed into the register's form: every field at once (name,
kind, USCC, recognition, village, phone, bank account, agents), and the field labels the form
and the record of changes use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import ValidationFailed
from workflow.identity import normalise_bank_account, normalise_credit_code
from workflow.roles import Role
from workflow.states import OrgKind
from workflow.text_input import checked_name, plain_number

from ..db import Database
from ..models import Organisation, User, Village

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


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def _named(inp: OrganisationInput, errors: _Errors) -> dict[str, Any]:
    """The name, document number and contact typed, without invisible or direction characters."""
    values: dict[str, Any] = {}
    for name in ("name", "recognition_doc_no", "contact_name"):
        try:
            values[name] = checked_name(getattr(inp, name), name, LABELS[name]) or None
        except ValidationFailed as exc:
            errors.add(name, exc.code, exc.message)
            values[name] = None
    return values


def _phone(raw: str | None, errors: _Errors) -> str | None:
    text = _text(raw)
    if text is None:
        return None
    try:
        text = plain_number(text, "phone", "contact_phone", LABELS["contact_phone"]).strip()
    except ValidationFailed as exc:
        errors.add("contact_phone", exc.code, exc.message)
        return text
    digits = text.replace("-", "").replace(" ", "")
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        errors.add(
            "contact_phone",
            "validation.phone",
            "“联系电话”应为手机号码或带区号的固定电话，如 13812345678 或 0887-8412345",
        )
    return text


def checked(
    session: Session,
    db: Database,
    inp: OrganisationInput,
    org_id: int | None,
) -> dict[str, Any]:
    """The columns to store (bank account still plain), or every field's error at once."""
    errors = _Errors()
    values: dict[str, Any] = {"kind": inp.kind, **_named(inp, errors)}
    if values["name"] is None and "name" not in errors.found:
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
