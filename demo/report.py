"""What ``load_demo`` reports: the counts, the claims and contracts by state, the demo logins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.db import Database
from store.models import (
    ApiToken,
    Claim,
    ClaimHistory,
    Contract,
    ContractHistory,
    Organisation,
    Person,
    Post,
    Township,
    User,
    UserVillage,
    Village,
)
from workflow.states import STATE_LABELS, ClaimState, ContractState


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    display_name: str
    roles: tuple[str, ...]
    organisation: str | None = None
    villages: tuple[str, ...] = ()
    token: str | None = None  # shown once: only its hash is stored


@dataclass(frozen=True)
class DemoReport:
    already_loaded: bool
    as_of: datetime
    counts: dict[str, int]
    claims_by_state: dict[str, int]
    contracts_by_state: dict[str, int]
    policy_year: int | None = None
    logins: tuple[DemoLogin, ...] = ()

    def render(self) -> str:
        if self.already_loaded:
            lines = [f"演示数据已存在（{self.counts['townships']} 个乡镇），未做任何修改。"]
        else:
            lines = [
                f"已载入德钦县演示数据（截至 {self.as_of:%Y-%m-%d %H:%M}，政策年度 {self.policy_year}）。"
            ]
        lines.append("数量：" + "，".join(f"{COUNT_LABELS[k]} {v}" for k, v in self.counts.items()))
        for title, by_state in (
            ("补贴申请", self.claims_by_state),
            ("公益性岗位协议", self.contracts_by_state),
        ):
            lines.append(
                f"{title}：" + "，".join(f"{STATE_LABELS.get(k, k)} {v}" for k, v in by_state.items())
            )
        if self.logins:
            lines += [
                "",
                "演示账号（密码仅供演示，令牌只显示这一次）："
                if not self.already_loaded
                else "演示账号（演示密码，若未修改；接口令牌只在首次载入时显示）：",
            ]
            for u in self.logins:
                where = "；".join(filter(None, (u.organisation, "、".join(u.villages))))
                lines.append(
                    f"  {u.username:<16} {u.password:<22} {','.join(u.roles):<14} "
                    f"{u.display_name}" + (f"  [{where}]" if where else "")
                )
                if u.token:
                    lines.append(f"  {'':<16} 令牌 {u.token}")
        return "\n".join(lines)


COUNT_LABELS = {
    "townships": "乡镇",
    "villages": "行政村",
    "organisations": "申报单位",
    "persons": "帮扶对象",
    "users": "用户",
    "tokens": "接口令牌",
    "posts": "岗位",
    "contracts": "协议",
    "claims": "补贴申请",
    "claim_history": "申请办理记录",
    "contract_history": "协议办理记录",
}
_COUNTED = {
    "townships": Township,
    "villages": Village,
    "organisations": Organisation,
    "persons": Person,
    "users": User,
    "tokens": ApiToken,
    "posts": Post,
    "contracts": Contract,
    "claims": Claim,
    "claim_history": ClaimHistory,
    "contract_history": ContractHistory,
}


def report(
    db: Database,
    already_loaded: bool,
    as_of: datetime,
    policy_year: int | None = None,
    logins: Sequence[DemoLogin] = (),
) -> DemoReport:
    with db.sessions() as session:
        counts = {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in _COUNTED.items()
        }
        claims = dict(session.execute(select(Claim.state, func.count()).group_by(Claim.state)).all())
        contracts = dict(session.execute(select(Contract.state, func.count()).group_by(Contract.state)).all())
    return DemoReport(
        already_loaded=already_loaded,
        as_of=as_of,
        counts=counts,
        claims_by_state={s.value: claims[s.value] for s in ClaimState if s.value in claims},
        contracts_by_state={s.value: contracts[s.value] for s in ContractState if s.value in contracts},
        policy_year=policy_year,
        logins=tuple(logins),
    )


# One password for every demo login, printed with them: the password rule
# (``workflow.passwords``) refuses one with the username inside it.
DEMO_PASSWORD = "meili-snow-2026"


def demo_password(username: str) -> str:
    """The password of a demo login (the same for all: a demo county has no secrets)."""
    del username
    return DEMO_PASSWORD


def existing_logins(session: Session) -> list[DemoLogin]:
    """The staff accounts already there, with their demo passwords (unless since changed);
    tokens are stored only as hashes, so they cannot be shown again."""
    villages = dict(session.execute(select(Village.id, Village.name)).all())
    orgs = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    by_user: dict[int, list[str]] = {}
    for user_id, village_id in session.execute(select(UserVillage.user_id, UserVillage.village_id)):
        by_user.setdefault(user_id, []).append(villages[village_id])
    return [
        DemoLogin(
            u.username,
            demo_password(u.username),
            u.display_name,
            tuple(u.roles.split(",")),
            orgs.get(u.org_id) if u.org_id else None,
            tuple(by_user.get(u.id, ())),
        )
        for u in session.scalars(select(User).order_by(User.id))
    ]
