"""The demo county, 德钦县: places, people, staff, and claims and contracts in every state.

``load_demo`` replays about a year and a half of the bureau's work on a clock of its own that
ends at the given database clock's now. Every case is filed, checked and moved by the same
service calls a user would make, at the time they would have made them, so the rules,
deadlines and history rows are what real use would have left behind.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn
from stdnum.cn import ric, uscc

from store import timerules
from store.access import actor_for, create_token, create_user
from store.claims import ClaimInput, file_claim, month_workdays, resubmit_claim
from store.contracts import (
    ContractInput,
    propose_contract,
    record_insurance,
    renew_contract,
    terminate_contract,
)
from store.db import Database
from store.models import (
    ApiToken,
    Claim,
    ClaimHistory,
    Contract,
    ContractHistory,
    Organisation,
    Person,
    PolicyYear,
    Post,
    Township,
    User,
    UserVillage,
    Village,
)
from store.payouts import close_batch, confirm_paid, create_batch
from store.people import PersonInput, create_organisation, create_person
from store.transitions import transition
from workflow.calendar import WorkCalendar
from workflow.clock import FrozenClock
from workflow.dates import add_months, max_term_end, month_key, months_completed
from workflow.errors import ValidationFailed
from workflow.machines import CLAIM, CONTRACT, Workflow
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.rules import OtherClaim
from workflow.states import (
    STATE_LABELS,
    ClaimState,
    ContractState,
    OrgKind,
    SubsidyType,
)

SEED = 533422
COUNTY = "533422"
T = SubsidyType
S = ClaimState

# (township code suffix, name, slug for user names, villages as (name, slug))
TOWNSHIPS = (
    ("101", "升平镇", "shengping", (("阿东村", "adong"), ("巨水村", "jushui"), ("雾浓顶村", "wunongding"))),
    ("102", "奔子栏镇", "benzilan", (("奔子栏村", "benzilan"), ("书松村", "shusong"), ("夺通村", "duotong"))),
    ("201", "佛山乡", "foshan", (("江坡村", "jiangpo"), ("溜筒江村", "liutongjiang"))),
    ("202", "云岭乡", "yunling", (("西当村", "xidang"), ("斯农村", "sinong"), ("查里桶村", "chalitong"))),
    ("203", "燕门乡", "yanmen", (("茨中村", "cizhong"), ("巴东村", "badong"))),
)
PERSONS_PER_VILLAGE = 16
# Villages whose committee files claims itself (its 经办人 has a login); the committee of
# 阿东村 is run by someone who is also one of the village's verifiers.
COMMITTEE_AGENTS = ("adong", "jushui", "benzilan", "jiangpo", "xidang", "cizhong")
MULTI_ROLE_VILLAGE = "adong"
INFO_OFFICERS = ("adong", "benzilan")  # a village's own 就业信息员 beside the township's verifier
NO_GRADUATE_POST = ("liutongjiang", "badong")  # the dashboard's "villages without a 大学生公岗"

# username, kind, name, credit-code prefix (None: has none), recognised, first business, village
ORGS = (
    ("agency1", OrgKind.HR_AGENCY, "德钦县雪域人力资源服务有限公司", "91", False, False, None),
    ("broker1", OrgKind.LABOUR_BROKER, "", None, False, False, "jushui"),  # named after its broker
    ("broker2", OrgKind.LABOUR_BROKER, "德钦县奔子栏劳务服务部", "92", False, False, "benzilan"),
    ("startup1", OrgKind.ENTERPRISE, "德钦县卡瓦格博青稞食品有限公司", "91", False, True, "xidang"),
    ("company1", OrgKind.ENTERPRISE, "德钦县云岭建筑工程有限公司", "91", False, False, None),
    ("base1", OrgKind.EMPLOYMENT_BASE, "德钦县梅里酒业有限公司", "91", True, False, "cizhong"),
    ("base2", OrgKind.EMPLOYMENT_BASE, "德钦县奔子栏民族服饰有限公司", "91", True, False, "benzilan"),
    ("workshop1", OrgKind.WORKSHOP, "阿东村民族手工艺专业合作社（就业帮扶车间）", "93", True, False, "adong"),
)

# title, monthly subsidy, graduate post
POSTS = (
    ("保洁员", "600", False),
    ("护路员", "600", False),
    ("就业信息员", "800", False),
    ("大学生公岗", "1500", True),
)

COURSES = (("PX2026-01", 10), ("PX2026-02", 15), ("PX2026-03", 7), ("PX2026-04", 10), ("PX2026-05", 12))

# How many claims of each type end in each state (startup and workshop are filed in lists).
MIX: dict[str, tuple[int, ...]] = {
    T.LABOUR_EXPORT_SERVICE: (8, 3, 3, 3, 2, 2, 1, 1),
    T.TRANSPORT_SUBSIDY: (6, 3, 2, 3, 1, 1, 1, 1),
    T.MIGRANT_WORK_REWARD: (5, 2, 2, 2, 1, 1, 1, 1),
    T.EMPLOYMENT_BASE_REWARD: (5, 2, 2, 2, 1, 1, 1, 1),
    T.WORK_FOR_TRAINING: (5, 2, 2, 2, 1, 1, 1, 1),
    T.TRAINING_ALLOWANCE: (7, 3, 2, 3, 1, 1, 1, 1),
}
MIX_STATES: tuple[str, ...] = (
    S.FINANCE_PAID,
    S.HR_REVIEWED,
    S.VILLAGE_VERIFIED,
    S.SUBMITTED,
    S.RETURNED,
    S.REJECTED,
    S.WITHDRAWN,
    S.EXPIRED,
)
# A list filed ~two months ago and one filed last week, per absorbing claimant.
LISTS: dict[str, tuple[tuple[str, ...], ...]] = {
    T.STARTUP_SUBSIDY: (
        (
            S.FINANCE_PAID,
            S.FINANCE_PAID,
            S.FINANCE_PAID,
            S.HR_REVIEWED,
            S.RETURNED,
            S.REJECTED,
            S.WITHDRAWN,
            S.EXPIRED,
        ),
        (S.SUBMITTED, S.SUBMITTED, S.SUBMITTED, S.VILLAGE_VERIFIED, S.VILLAGE_VERIFIED),
    ),
    T.WORKSHOP_REWARD: (
        (S.FINANCE_PAID, S.FINANCE_PAID, S.HR_REVIEWED, S.RETURNED, S.REJECTED, S.WITHDRAWN, S.EXPIRED),
        (S.SUBMITTED, S.SUBMITTED, S.VILLAGE_VERIFIED, S.VILLAGE_VERIFIED, S.VILLAGE_VERIFIED),
    ),
}
EMPLOYMENT_MONTHS: dict[str, int] = {
    T.LABOUR_EXPORT_SERVICE: 3,
    T.TRANSPORT_SUBSIDY: 3,
    T.MIGRANT_WORK_REWARD: 3,
    T.EMPLOYMENT_BASE_REWARD: 3,
    T.STARTUP_SUBSIDY: 1,
    T.WORKSHOP_REWARD: 1,
}


def _steps(wf: Workflow, state: str, via: str | None = None) -> tuple[str, ...]:
    """The table's way to ``state`` as the demo names its acts (“hr_return”: HR's return)."""
    steps = wf.path_to(state, via)
    return tuple("hr_return" if s.trigger == "return" and s.role is Role.HR else s.trigger for s in steps)


def _path(state: str, via: str | None = None) -> tuple[str, ...]:
    """A claim's acts from its filing on."""
    return (CLAIM.creation[0].trigger, *_steps(CLAIM, state, via))


# The steps that lead a claim to each state: the shortest way the table allows, and for
# variety some ways round (through a return, or after village verification).
PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    S.SUBMITTED: (_path(S.SUBMITTED),),
    S.VILLAGE_VERIFIED: (_path(S.VILLAGE_VERIFIED),),
    S.HR_REVIEWED: (_path(S.HR_REVIEWED),),
    S.FINANCE_PAID: (_path(S.FINANCE_PAID),) * 4 + (_path(S.FINANCE_PAID, via=S.RETURNED),),
    S.RETURNED: (_path(S.RETURNED), _path(S.RETURNED, via=S.VILLAGE_VERIFIED)),
    S.REJECTED: (_path(S.REJECTED),),
    S.WITHDRAWN: (
        _path(S.WITHDRAWN),
        _path(S.WITHDRAWN, via=S.VILLAGE_VERIFIED),
        _path(S.WITHDRAWN, via=S.RETURNED),
    ),
    S.EXPIRED: (_path(S.EXPIRED), _path(S.EXPIRED, via=S.VILLAGE_VERIFIED)),
}
# Working days after the previous step (None: the nightly expiry once the 30 days are over).
GAPS: dict[str, tuple[int, int] | None] = {
    "verify": (1, 4),
    "return": (1, 3),
    "hr_return": (2, 6),
    "approve": (2, 7),
    "reject": (2, 7),
    "pay": (3, 9),
    "withdraw": (1, 6),
    "resubmit": (2, 6),
    "expire": None,
}
PWP_GAPS = {**GAPS, "verify": (1, 2), "approve": (1, 3), "pay": (1, 4)}
# How many days before now a claim ending in each state was filed.
FILED_AGO: dict[str, tuple[int, int]] = {
    S.SUBMITTED: (0, 7),
    S.VILLAGE_VERIFIED: (4, 18),
    S.HR_REVIEWED: (10, 35),
    S.FINANCE_PAID: (25, 100),
    S.RETURNED: (3, 20),
    S.REJECTED: (12, 70),
    S.WITHDRAWN: (5, 60),
    S.EXPIRED: (40, 90),
}
COMMENTS: dict[str, tuple[str | None, ...]] = {
    "verify": ("已入户核实，情况属实", "经村委会核实无误", None),
    "return": (
        "缺少务工收入证明，请补充后重新提交",
        "身份证号与户籍信息不一致，请核对",
        "银行账号户名与本人不符，请更正",
    ),
    "hr_return": ("请补充劳动合同或用工证明", "工资发放凭证不完整，请补充银行流水"),
    "approve": ("符合条件，同意", "材料齐全，同意补贴", None),
    "reject": (
        "经核查，务工时间不满规定期限，不予批准",
        "经比对，该人员本年度已在外县享受同类补贴，不予批准",
    ),
    "withdraw": ("申报信息有误，撤回后重新整理", "本人已返乡，撤回申请"),
}
PWP_COMMENTS: dict[str, tuple[str | None, ...]] = {
    "return": ("请补充当月考勤表",),
    "hr_return": ("考勤表缺村委会盖章，请补充",),
    "reject": ("当月考勤显示缺勤超过10天，不予发放岗位补贴",),
    "withdraw": ("补贴月份填报错误，撤回",),
}
TERMINATION_REASONS = ("本人外出务工，申请有序退岗", "因身体原因不能继续履职，有序退岗")
CONTRACT_REJECTIONS = ("该户已有1人在公益性岗位安置，不再重复安置",)
CONTRACT_RETURNS = ("协议附件缺少身份证复印件，请补充", "岗位职责描述不清，请修改后重新提交")

# Contract histories per post place: two-contract ones go on posts with a single place.
TWO_CONTRACT_SCENARIOS = (
    "renewed",
    "renewal_pending",
    "expired_then_new",
    "expired_then_new",
    "terminated_then_new",
    "terminated_then_new",
    "rejected_then_new",
)
ONE_CONTRACT_SCENARIOS = (
    ("ending_soon",) * 5
    + ("expired",)
    + ("pending_submitted",) * 2
    + ("pending_village_verified",) * 2
    + ("pending_hr_reviewed",) * 2
    + ("pending_returned",) * 2
    + ("vacant",) * 2
)
# The last one ended yesterday: still active until the sweep (server or ``fuzhi sweep``) expires it.
ENDING_IN_DAYS = (3, 9, 16, 23, -1)

_TIBETAN = {
    True: (
        (
            "扎西",
            "此里",
            "鲁茸",
            "格桑",
            "斯那",
            "七林",
            "农布",
            "阿称",
            "尼玛",
            "达瓦",
            "次仁",
            "白玛",
            "都吉",
            "吾金",
            "江措",
            "安主",
        ),
        (
            "农布",
            "都吉",
            "旺堆",
            "平措",
            "次称",
            "江措",
            "吉称",
            "定主",
            "尼玛",
            "扎西",
            "培楚",
            "顿珠",
            "群培",
            "此里",
            "品初",
        ),
    ),
    False: (
        (
            "卓玛",
            "拉姆",
            "央宗",
            "此里",
            "格桑",
            "白玛",
            "达瓦",
            "斯那",
            "永宗",
            "曲珍",
            "央金",
            "取珍",
            "阿茸",
        ),
        ("卓玛", "拉姆", "央宗", "永宗", "曲珍", "央金", "品初", "取追", "此姆", "娜姆", "玉珍"),
    ),
}
_SURNAMES = ("余", "李", "和", "杨", "王", "熊", "蜂", "张", "赵", "肖", "谷", "木")
_GIVEN = {
    True: (
        "建国",
        "金华",
        "文明",
        "志强",
        "光荣",
        "海",
        "平",
        "学军",
        "永福",
        "德明",
        "文军",
        "国庆",
        "建新",
    ),
    False: ("金花", "秀英", "丽华", "玉梅", "四妹", "春梅", "桂芳", "丽萍", "晓燕", "红梅", "玉兰", "秀珍"),
}
_PHONE_PREFIXES = ("139", "138", "152", "158", "187", "182", "189", "151")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


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


def _report(
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


def demo_password(username: str) -> str:
    return f"demo-{username}"


def _existing_logins(session: Session) -> list[DemoLogin]:
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


def _cover_years(db: Database, source: int, years: Iterable[int], now: datetime) -> None:
    """The replay files claims whose facts fix the years before (and, in January, the year of)
    ``now``: a demo county needs parameters for each, copied from ``source``. A real bureau
    sets its own (``fuzhi policy``, the admin's pages)."""
    with db.transaction() as session:
        have = set(session.scalars(select(PolicyYear.year)))
        record = session.get(PolicyYear, source)
        assert record is not None
        for year in years:
            if year not in have:
                session.add(PolicyYear(year=year, params={**record.params, "year": year}, created_at=now))


def load_demo(db: Database) -> DemoReport:
    """Fill an empty, migrated database with the demo county, its history ending at
    ``db.clock.now()``. A database that already has a township is left as it is."""
    now = db.clock.now()
    with db.sessions() as session:
        if session.scalar(select(Township.id).limit(1)) is not None:
            return _report(db, True, now, logins=_existing_logins(session))
        taken = set(session.scalars(select(User.username)))
        year = session.scalar(
            select(func.max(PolicyYear.year)).where(PolicyYear.year <= now.year)
        ) or session.scalar(select(func.min(PolicyYear.year)))
    if year is None:
        raise ValidationFailed("validation.policy_year", "尚未设置任何政策年度参数，无法载入演示数据")
    _cover_years(db, year, range(now.year - 2, now.year + 1), now)
    loader = _Loader(db, now, year, taken)
    loader.run()
    return _report(db, False, now, year, loader.logins)


# --------------------------------------------------------------------------------------
# Time: office hours on working days, and a replay that moves its own clock
# --------------------------------------------------------------------------------------


class _Time:
    def __init__(self, now: datetime, calendar: WorkCalendar, rng: random.Random) -> None:
        self.today, self.cal, self.rng = now.date(), calendar, rng
        self.limit = now - timedelta(minutes=1)

    def at(self, day: date, back: bool = False) -> datetime:
        """A moment in office hours on ``day``, or on the nearest working day after (before)."""
        while not self.cal.is_workday(day):
            day += timedelta(days=-1 if back else 1)
        return datetime.combine(day, time(8, 40)) + timedelta(minutes=self.rng.randint(0, 530))

    def ago(self, lo: int, hi: int) -> date:
        return self.today - timedelta(days=self.rng.randint(lo, hi))

    def later(self, t: datetime, lo: int, hi: int) -> datetime:
        return self.at(self.cal.add_working_days(t.date(), self.rng.randint(lo, hi)))

    def nightly(self, day: date) -> datetime:
        """When the nightly job runs in the first hours of ``day``."""
        return datetime.combine(day, time(0, 15)) + timedelta(minutes=self.rng.randint(0, 45))

    def after(self, prev: datetime, gap: tuple[int, int] | None) -> datetime:
        """A step ``gap`` working days after ``prev``; ``None``: the nightly expiry of a claim
        returned at ``prev``, once its days to be resubmitted are over."""
        if gap is None:
            due = self.cal.due(prev, CLAIM.deadlines[S.RETURNED])
            return self.nightly(due.date() + timedelta(days=1))
        return self.later(prev, *gap)

    def plan(
        self, start: date, gaps: Sequence[tuple[int, int] | None], floor: date | None = None
    ) -> list[datetime] | None:
        """The times of a case's steps: the first on ``start``, moved earlier until the last one
        is in the past (never before ``floor``), then each ``after`` the one before."""
        # Each gap is drawn once, so moving the start earlier keeps the case's pace.
        draws: list[tuple[int, int] | None] = [
            None if g is None else (n := self.rng.randint(*g), n) for g in gaps
        ]
        day = start
        while floor is None or day >= floor:
            times = [self.at(day)]
            for gap in draws:
                times.append(self.after(times[-1], gap))
            if times[-1] <= self.limit:
                return times
            day -= timedelta(days=max(1, (times[-1] - self.limit).days))
        return None


class _Replay:
    """Runs the cases' steps in time order, setting the clock to each step's moment."""

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        self.order = itertools.count()

    def start(self, case: Iterator[datetime]) -> None:
        at = next(case, None)  # a case yields when its next step is due, then takes it
        if at is not None:
            heapq.heappush(self.queue, (at, next(self.order), case))

    def run(self) -> None:
        while self.queue:
            at, _, case = heapq.heappop(self.queue)
            if at < self.clock.current:
                raise RuntimeError(f"demo timeline runs backwards at {at}")
            self.clock.current = at
            self.start(case)


# --------------------------------------------------------------------------------------
# What is planned before it is replayed
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Village:
    id: int
    name: str
    slug: str
    township: str
    code: str


@dataclass(eq=False)
class _Person:
    id: int
    name: str
    village: _Village
    groups: frozenset[str]
    labour: str
    male: bool
    age: int
    graduate_left: date | None


@dataclass(eq=False)
class _Org:
    id: int
    name: str
    agent: Actor | None = None


@dataclass(eq=False)
class _Act:
    trigger: str
    at: datetime
    actor: Actor
    comment: str | None = None  # for "insure", the policy number


@dataclass(eq=False)
class _ClaimPlan:
    subsidy_type: str
    person: _Person
    org: _Org
    state: str
    acts: list[_Act]  # the first is the filing
    contract: _ContractPlan | None = None
    month: date | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(eq=False)
class _PostRow:
    id: int
    village: _Village
    title: str
    places: int
    graduate: bool


@dataclass(eq=False)
class _ContractPlan:
    post: _PostRow
    person: _Person
    start: date
    end: date
    kind: str
    proposer: Actor
    propose_at: datetime | None  # None: proposed by its predecessor's renewal
    acts: list[_Act] = field(default_factory=list)
    successor: _ContractPlan | None = None
    id: int | None = None

    def act_at(self, trigger: str) -> datetime | None:
        return next((a.at for a in self.acts if a.trigger == trigger), None)

    @property
    def last_day(self) -> date:
        ended = self.act_at("terminate")
        return ended.date() if ended else self.end


class _Loader:
    """Makes the places, people and staff, plans every case, then replays them in time order."""

    def __init__(self, db: Database, now: datetime, year: int, taken: set[str]) -> None:
        self.rng = random.Random(SEED)
        self.clock = FrozenClock(now)
        self.db = replace(db, clock=self.clock)  # same engine and vault, the replay's clock
        self.replay = _Replay(self.clock)
        with self.db.sessions() as session:
            self.time = _Time(now, timerules.calendar(self.db, session), self.rng)
        self.year, self.taken = year, taken
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.counter = itertools.count(1)
        self.logins: list[DemoLogin] = []
        self.villages: list[_Village] = []
        self.persons: list[_Person] = []
        self.orgs: dict[str, _Org] = {}
        self.committees: dict[int, _Org] = {}  # village id -> committee that files itself
        self.verifiers: dict[int, list[Actor]] = {}
        self.hr: list[Actor] = []
        self.finance: Actor | None = None
        self.posts: list[_PostRow] = []
        self.contracts: list[_ContractPlan] = []
        self.holders: set[int] = set()

    # ----------------------------------------------------------------------------------
    def run(self) -> None:
        self.clock.current = self.time.at(self.time.today - timedelta(days=600))
        with self.db.transaction() as session:
            self._places(session)
            self._people(session)
            self._organisations(session)
            self._users(session)
            self._posts(session)
        self._plan_contracts()
        claims, lists = self._plan_claims()
        for contract in self.contracts:
            self.replay.start(self._contract_case(contract))
        for claim in claims:
            self.replay.start(self._claim_case(claim))
        for claim_list in lists:
            self.replay.start(self._list_case(claim_list))
        self.replay.run()
        self._post_claims_mark()
        self._outside_labour_force()

    # Household members the labour-force figures must leave out, unless marked: a teenager, an
    # old parent without labour, a working-age adult without labour (illness, disability), and
    # a fit 63-year-old marked as labour force. Added last, with their own random source, so
    # that the claims and contracts above (and the tests that read them) stay as they were.
    EXTRA_MEMBERS = (
        (14, "full", False, 1),
        (72, "none", False, 2),
        (45, "none", False, 3),
        (63, "weak", True, 4),
    )

    def _outside_labour_force(self) -> None:
        main, self.rng = self.rng, random.Random(4006)
        today = self.time.today
        try:
            with self.db.transaction() as session:
                for village in self.villages:
                    for age, labour, override, household in self.EXTRA_MEMBERS:
                        male = self.rng.random() < 0.5
                        birth = today - timedelta(days=365 * age + self.rng.randint(30, 330))
                        create_person(
                            session,
                            self.db,
                            PersonInput(
                                name=self._name(male),
                                id_number=self._id_number(birth, male),
                                village_id=village.id,
                                target_groups=self._groups_of(session, village.id, household),
                                labour_capacity=labour,
                                labour_force_override=override,
                                household_no=f"{village.code}{household:03d}",
                            ),
                        )
        finally:
            self.rng = main

    @staticmethod
    def _groups_of(session: Session, village_id: int, household: int) -> tuple[str, ...]:
        code = session.scalar(select(Village.code).where(Village.id == village_id))
        groups = (
            session.scalar(
                select(Person.target_groups).where(Person.household_no == f"{code}{household:03d}").limit(1)
            )
            or ""
        )
        return tuple(g for g in groups.split(",") if g)

    def _post_claims_mark(self) -> None:
        """The months the demo's own post-subsidy claims stand for count as opened, up to the
        month before last; the sweep then opens last month's as it would have on the 1st."""
        first = self.time.today.replace(day=1)
        mark = add_months(first, -1) - timedelta(days=1)
        with self.db.transaction() as session:
            for contract in session.scalars(
                select(Contract).where(Contract.state.in_(("active", "expired", "terminated")))
            ):
                contract.subsidy_through = max(
                    min(contract.end_date, mark), contract.start_date - timedelta(days=1)
                )

    # ---------------------------------------------------------------- places and people
    def _places(self, session: Session) -> None:
        for suffix, name, _slug, villages in TOWNSHIPS:
            township = Township(code=COUNTY + suffix, name=name, county_code=COUNTY)
            session.add(township)
            session.flush()
            for i, (vname, vslug) in enumerate(villages, 1):
                village = Village(township_id=township.id, code=f"{COUNTY}{suffix}{i:03d}", name=vname)
                session.add(village)
                session.flush()
                self.villages.append(_Village(village.id, vname, vslug, name, village.code))

    def _name(self, male: bool) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.7:
                first, second = _TIBETAN[male]
                a, b = rng.choice(first), rng.choice(second)
                name = a if a == b or rng.random() < 0.12 else a + b
            else:
                name = rng.choice(_SURNAMES) + rng.choice(_GIVEN[male])
            if name not in self.names:
                self.names.add(name)
                return name

    def _id_number(self, birth: date, male: bool) -> str:
        while True:
            body = (
                f"{COUNTY}{birth:%Y%m%d}{self.rng.randint(1, 99):02d}"
                f"{self.rng.choice('13579' if male else '02468')}"
            )
            if body not in self.ids:
                self.ids.add(body)
                return body + ric.calc_check_digit(body + "0")  # it expects a check digit place

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def _bank_card(self) -> str:
        body = "623190" + self._digits(12)
        return body + luhn.calc_check_digit(body)

    def _people(self, session: Session) -> None:
        rng, today = self.rng, self.time.today
        school_year = today.year if today.month >= 7 else today.year - 1
        for village in self.villages:
            count, household = 0, 0
            while count < PERSONS_PER_VILLAGE:
                household += 1
                # The first two households of a village each have a graduate for its 大学生公岗.
                size = rng.choice((3, 4)) if household <= 2 else rng.choice((1, 2, 2, 3, 3, 4))
                r = rng.random()
                groups = set()
                if r < 0.55:
                    groups.add("poverty_alleviated")
                    if rng.random() < 0.3:
                        groups.add("relocated")
                elif r < 0.85:
                    groups.add("rural_low_income")
                head_male = rng.random() < 0.6
                head_age = rng.randint(42, 60) if size >= 3 else rng.randint(24, 60)
                members = [(head_male, head_age)]
                if size >= 2:
                    members.append((not head_male, max(20, head_age + rng.randint(-5, 4))))
                members += [
                    (rng.random() < 0.5, rng.randint(18, min(30, head_age - 20))) for _ in range(size - 2)
                ]
                for k, (male, age) in enumerate(members):
                    graduate = None
                    if k == 2 and household <= 2:
                        age = rng.randint(22, 27)
                        graduate = date(school_year - rng.choice((0, 1, 1)), 7, 1)
                    elif k >= 2 and age >= 21 and rng.random() < 0.4:
                        graduate = date(school_year - rng.choice((0, 0, 1, 2)), 7, 1)
                    if age >= 52:
                        labour = rng.choice(("full", "weak", "weak", "half"))
                    else:
                        labour = rng.choices(("full", "weak", "half"), (78, 13, 9))[0]
                    birth = today - timedelta(days=365 * age + rng.randint(30, 330))
                    name = self._name(male)
                    person = create_person(
                        session,
                        self.db,
                        PersonInput(
                            name=name,
                            id_number=self._id_number(birth, male),
                            village_id=village.id,
                            target_groups=tuple(sorted(groups)),
                            labour_capacity=labour,
                            phone=rng.choice(_PHONE_PREFIXES) + self._digits(8),
                            household_no=f"{village.code}{household:03d}",
                            bank_account=self._bank_card(),
                            graduate_left_school=graduate,
                        ),
                    )
                    self.persons.append(
                        _Person(person.id, name, village, frozenset(groups), labour, male, age, graduate)
                    )
                    count += 1

    def _credit_code(self, prefix: str) -> str:
        body = prefix + COUNTY + "MA" + "".join(self.rng.choice(_USCC_CHARS) for _ in range(7))
        return body + uscc.calc_check_digit(body)

    def _org(
        self,
        session: Session,
        key: str,
        name: str,
        kind: str,
        prefix: str | None,
        recognised: bool = False,
        first_business: bool = False,
        village: _Village | None = None,
        bank: str | None = None,
    ) -> _Org:
        org = create_organisation(
            session,
            self.db,
            name=name,
            kind=kind,
            credit_code=self._credit_code(prefix) if prefix else None,
            recognised=recognised,
            first_business=first_business,
            village_id=village.id if village else None,
            bank_account=bank or "2502" + self._digits(16),
        )
        self.orgs[key] = _Org(org.id, name)
        return self.orgs[key]

    def _organisations(self, session: Session) -> None:
        by_slug = {v.slug: v for v in self.villages}
        for key, kind, name, prefix, recognised, first, slug in ORGS:
            name = name or f"劳务经纪人{self._name(True)}"
            self._org(session, key, name, kind, prefix, recognised, first, by_slug[slug] if slug else None)
        for village in self.villages:
            org = self._org(
                session,
                f"cwh_{village.slug}",
                f"{village.township}{village.name}村民委员会",
                OrgKind.VILLAGE_COMMITTEE,
                "54",
                village=village,
            )
            if village.slug in COMMITTEE_AGENTS:
                self.committees[village.id] = org
        self.self_filer = next(
            p for p in self.persons if p.groups and not p.male and 20 <= p.age <= 35 and p.labour == "full"
        )
        self._org(
            session,
            "self1",
            f"{self.self_filer.name}（本人申报）",
            OrgKind.PERSON,
            None,
            bank=self._bank_card(),
        )

    # ---------------------------------------------------------------------------- users
    def _user(
        self,
        session: Session,
        username: str,
        display: str,
        roles: tuple[str, ...],
        villages: Sequence[_Village] = (),
        org: _Org | None = None,
    ) -> Actor | None:
        password = demo_password(username)
        if username in self.taken:
            if set(roles) != {"admin"}:
                raise ValidationFailed(
                    "validation.username_taken",
                    f"用户名“{username}”已存在，无法载入演示数据",
                    field="username",
                )
            self.logins.append(DemoLogin(username, "（已存在，未修改）", display, roles))
            return None
        user = create_user(
            session,
            self.db,
            username=username,
            password=password,
            roles=roles,
            display_name=display,
            village_ids=[v.id for v in villages],
            org_id=org.id if org else None,
        )
        token = create_token(session, self.db, user, "演示令牌") if org else None
        self.logins.append(
            DemoLogin(
                username,
                password,
                display,
                roles,
                org.name if org else None,
                tuple(v.name for v in villages),
                token,
            )
        )
        actor = actor_for(session, user)
        for v in villages:
            self.verifiers.setdefault(v.id, []).append(actor)
        if org:
            org.agent = actor
        return actor

    def _users(self, session: Session) -> None:
        self._user(session, "admin", "系统管理员", ("admin",))
        for username in ("hr1", "hr2"):
            actor = self._user(
                session, username, f"{self._name(self.rng.random() < 0.5)}（县人社局）", ("hr",)
            )
            assert actor is not None
            self.hr.append(actor)
        self.finance = self._user(session, "finance", f"{self._name(False)}（人社局财务）", ("finance",))
        for _suffix, township, slug, _villages in TOWNSHIPS:
            self._user(
                session,
                f"village_{slug}",
                f"{self._name(self.rng.random() < 0.5)}（{township}）",
                ("village",),
                [v for v in self.villages if v.township == township],
            )
        for village in self.villages:
            if village.slug in INFO_OFFICERS:
                self._user(
                    session,
                    f"xxy_{village.slug}",
                    f"{self._name(self.rng.random() < 0.5)}（{village.name}就业信息员）",
                    ("village",),
                    [village],
                )
        for village in self.villages:
            if village.id in self.committees:
                multi = village.slug == MULTI_ROLE_VILLAGE
                self._user(
                    session,
                    f"cwh_{village.slug}",
                    f"{self._name(self.rng.random() < 0.5)}（{village.name}村委会）",
                    ("agent", "village") if multi else ("agent",),
                    [village] if multi else (),
                    self.committees[village.id],
                )
        for key, *_rest in ORGS:
            org = self.orgs[key]
            self._user(
                session, key, f"{self._name(self.rng.random() < 0.5)}（{org.name[:20]}）", ("agent",), org=org
            )
        self._user(session, "self1", self.self_filer.name, ("agent",), org=self.orgs["self1"])

    # ---------------------------------------------------------------------------- posts
    def _posts(self, session: Session) -> None:
        for village in self.villages:
            for title, subsidy, graduate in POSTS:
                if graduate and village.slug in NO_GRADUATE_POST:
                    continue
                places = 2 if title == "保洁员" and self.rng.random() < 0.5 else 1
                post = Post(
                    village_id=village.id,
                    title=title,
                    monthly_subsidy=Decimal(subsidy),
                    places=places,
                    graduate_post=graduate,
                )
                session.add(post)
                session.flush()
                self.posts.append(_PostRow(post.id, village, title, places, graduate))

    # ------------------------------------------------------------------------ contracts
    def _holder(self, post: _PostRow) -> _Person:
        free = [
            p
            for p in self.persons
            if p.village is post.village and p.id not in self.holders and p is not self.self_filer
        ]
        if post.graduate:
            free = sorted((p for p in free if p.graduate_left), key=lambda p: p.graduate_left or date.min)
        else:  # priority to target groups, weak and half labour first
            free = [p for p in free if not p.graduate_left and p.age >= 25]
            self.rng.shuffle(free)
            free.sort(key=lambda p: (not p.groups, p.labour == "full"))
        if not free:
            raise RuntimeError(f"demo: nobody left for {post.title} in {post.village.name}")
        self.holders.add(free[0].id)
        return free[0]

    def _contract(
        self,
        post: _PostRow,
        start: date,
        end: date | None = None,
        propose_at: datetime | None = None,
        active: bool = True,
    ) -> _ContractPlan:
        """A contract proposed before its start and, if ``active``, taken to active."""
        t, rng = self.time, self.rng
        proposer, approver = rng.sample(self.hr, 2)
        kind = (
            "labour_contract"
            if post.title in ("就业信息员", "大学生公岗") and rng.random() < 0.5
            else "service_agreement"
        )
        plan = _ContractPlan(
            post,
            self._holder(post),
            start,
            end or max_term_end(start),
            kind,
            proposer,
            propose_at or t.at(start - timedelta(days=rng.randint(22, 35))),
        )
        if active:
            assert plan.propose_at is not None
            self._activation(plan, plan.propose_at, approver)
        self.contracts.append(plan)
        return plan

    def _activation(self, plan: _ContractPlan, after: datetime, approver: Actor) -> None:
        t = self.time
        verify = t.later(after, 1, 3)
        approve = t.later(verify, 1, 4)
        insure = t.later(approve, 1, 2)
        plan.acts += [
            _Act(
                "verify",
                verify,
                self.rng.choice(self.verifiers[plan.post.village.id]),
                self.rng.choice(("已核实，本人同意聘任", None)),
            ),
            _Act("approve", approve, approver, "同意聘任"),
            _Act("insure", insure, plan.proposer, f"PEAC{insure.year}{COUNTY}{next(self.counter):05d}"),
            _Act("activate", insure + timedelta(minutes=self.rng.randint(5, 60)), plan.proposer),
        ]

    def _expiry(self, plan: _ContractPlan) -> None:
        plan.acts.append(_Act("expire", self.time.nightly(plan.end + timedelta(days=1)), SYSTEM_ACTOR))

    def _plan_contracts(self) -> None:
        rng = self.rng
        lanes = [(post, i) for post in self.posts for i in range(post.places)]
        single = [lane for lane in lanes if lane[0].places == 1]
        rng.shuffle(single)
        scenarios = dict(zip(map(id, single), TWO_CONTRACT_SCENARIOS, strict=False))
        rest = [lane for lane in lanes if id(lane) not in scenarios]
        rng.shuffle(rest)
        scenarios.update(zip(map(id, rest), ONE_CONTRACT_SCENARIOS, strict=False))
        ending = iter(ENDING_IN_DAYS)
        for lane in lanes:
            self._scenario(lane[0], scenarios.get(id(lane), "active"), ending)

    def _scenario(self, post: _PostRow, scenario: str, ending: Iterator[int]) -> None:
        rng, t = self.rng, self.time
        today = t.today

        def year_to(end: date) -> date:  # the start of a one-year term ending on ``end``
            return end + timedelta(days=1) - relativedelta(years=1)

        if scenario == "active":
            self._contract(post, (today - timedelta(days=rng.randint(35, 300))).replace(day=1))
        elif scenario == "ending_soon":
            end = today + timedelta(days=next(ending))
            self._contract(post, year_to(end), end)
        elif scenario == "expired":
            end = today - timedelta(days=rng.randint(15, 80))
            self._expiry(self._contract(post, year_to(end), end))
        elif scenario in ("renewed", "renewal_pending"):
            if scenario == "renewed":
                end = today - timedelta(days=rng.randint(6, 25))
                renew_at = t.at(end - timedelta(days=rng.randint(30, 45)))
            else:
                end = today + timedelta(days=rng.randint(6, 20))
                renew_at = t.at(t.ago(2, 6), back=True)
            old = self._contract(post, year_to(end), end)
            old.acts.append(_Act("renew", renew_at, old.proposer))
            start = end + timedelta(days=1)
            old.successor = _ContractPlan(
                post, old.person, start, max_term_end(start), old.kind, old.proposer, None
            )
            if scenario == "renewed":
                approver = next(a for a in self.hr if a is not old.proposer)
                self._activation(old.successor, renew_at, approver)
                self._expiry(old)
        elif scenario == "expired_then_new":
            end = today - timedelta(days=rng.randint(45, 120))
            self._expiry(self._contract(post, year_to(end), end))
            self._contract(post, end + timedelta(days=rng.randint(1, 20)))
        elif scenario == "terminated_then_new":
            old = self._contract(post, (today - timedelta(days=rng.randint(220, 330))).replace(day=1))
            ended = t.at(old.start + timedelta(days=rng.randint(70, 160)))
            old.acts.append(_Act("terminate", ended, old.proposer, rng.choice(TERMINATION_REASONS)))
            start = (ended.date() + relativedelta(months=1)).replace(day=1)
            self._contract(
                post, start, propose_at=max(t.later(ended, 2, 5), t.at(start - timedelta(days=25)))
            )
        elif scenario == "rejected_then_new":
            proposed = t.at(t.ago(100, 200))
            old = self._contract(
                post,
                (proposed.date() + relativedelta(months=1)).replace(day=1),
                propose_at=proposed,
                active=False,
            )
            verify = t.later(proposed, 1, 3)
            rejected = t.later(verify, 1, 4)
            old.acts += [
                _Act("verify", verify, rng.choice(self.verifiers[post.village.id])),
                _Act(
                    "reject",
                    rejected,
                    next(a for a in self.hr if a is not old.proposer),
                    rng.choice(CONTRACT_REJECTIONS),
                ),
            ]
            proposed = t.later(rejected, 3, 10)
            self._contract(
                post, (proposed.date() + relativedelta(months=1)).replace(day=1), propose_at=proposed
            )
        elif scenario.startswith("pending_"):
            self._pending(post, scenario.removeprefix("pending_"))

    def _pending(self, post: _PostRow, state: str) -> None:
        rng, t = self.rng, self.time
        start = (t.today + relativedelta(months=1)).replace(day=1)
        if (start - t.today).days < 5:
            start += relativedelta(months=1)
        K = ContractState
        returned = rng.choice(
            (_steps(CONTRACT, K.RETURNED), _steps(CONTRACT, K.RETURNED, via=K.VILLAGE_VERIFIED))
        )
        steps = returned if state == K.RETURNED else _steps(CONTRACT, state)
        times = t.plan(t.ago(2, 12), [(1, 3)] * len(steps))
        assert times is not None
        plan = self._contract(post, start, propose_at=times[0], active=False)
        approver = next(a for a in self.hr if a is not plan.proposer)
        for step, at in zip(steps, times[1:], strict=True):
            if step == "verify":
                plan.acts.append(_Act("verify", at, rng.choice(self.verifiers[post.village.id])))
            elif step == "approve":
                plan.acts.append(_Act("approve", at, approver, "同意聘任"))
            elif step == "return":
                plan.acts.append(
                    _Act(
                        "return",
                        at,
                        rng.choice(self.verifiers[post.village.id]),
                        rng.choice(CONTRACT_RETURNS),
                    )
                )
            else:
                plan.acts.append(_Act("return", at, approver, rng.choice(CONTRACT_RETURNS)))

    # --------------------------------------------------------------------------- claims
    def _acts(
        self,
        path: Sequence[str],
        times: Sequence[datetime],
        person: _Person,
        org: _Org,
        comments: dict[str, tuple[str | None, ...]] = COMMENTS,
    ) -> list[_Act]:
        rng = self.rng
        assert org.agent is not None and self.finance is not None
        acts = []
        for step, at in zip(path, times, strict=True):
            if step in ("submit", "withdraw", "resubmit"):
                actor = org.agent
            elif step in ("verify", "return"):
                actor = rng.choice(
                    [a for a in self.verifiers[person.village.id] if a.user_id != org.agent.user_id]
                )
            elif step == "pay":
                actor = self.finance
            elif step == "expire":
                actor = SYSTEM_ACTOR
            else:
                actor = rng.choice(self.hr)
            comment = rng.choice(comments.get(step) or COMMENTS.get(step) or (None,))
            if step == "pay":
                comment = f"已发放，银行回单号 {at:%Y%m%d}{next(self.counter):06d}"
            acts.append(_Act(step, at, actor, comment))
        return acts

    def _claim(self, subsidy_type: str, person: _Person, org: _Org, state: str) -> _ClaimPlan:
        path = self.rng.choice(PATHS[state])
        times = self.time.plan(self.time.ago(*FILED_AGO[state]), [GAPS[s] for s in path[1:]])
        assert times is not None
        return _ClaimPlan(subsidy_type, person, org, state, self._acts(path, times, person, org))

    def _list(
        self,
        subsidy_type: str,
        people: Sequence[_Person],
        org: _Org,
        states: Sequence[str],
        ago: tuple[int, int],
    ) -> list[_ClaimPlan]:
        """Claims filed together in one list, early enough for each to reach its state."""
        filed = self.time.at(self.time.ago(*ago), back=True)
        while True:
            claims = [
                self._listed(subsidy_type, p, org, s, filed) for p, s in zip(people, states, strict=True)
            ]
            if all(c is not None for c in claims):
                return [c for c in claims if c is not None]
            filed = self.time.at(filed.date() - timedelta(days=2), back=True)

    def _listed(
        self, subsidy_type: str, person: _Person, org: _Org, state: str, filed: datetime
    ) -> _ClaimPlan | None:
        """A claim filed in a list at ``filed``; a returned one was returned in the last days."""
        t = self.time
        path = PATHS[S.RETURNED][1] if state == S.RETURNED else self.rng.choice(PATHS[state])
        times = [filed]
        for step in path[1:]:
            if state == S.RETURNED and step == "hr_return":
                times.append(max(t.at(t.ago(2, 10), back=True), t.later(times[-1], 1, 2)))
            else:
                times.append(t.after(times[-1], GAPS[step]))
        if times[-1] > t.limit:
            return None
        return _ClaimPlan(subsidy_type, person, org, state, self._acts(path, times, person, org))

    def _plan_claims(self) -> tuple[list[_ClaimPlan], list[list[_ClaimPlan]]]:
        rng, orgs = self.rng, self.orgs
        free = [p for p in self.persons if p.groups and p.id not in self.holders and p is not self.self_filer]
        rng.shuffle(free)
        pool = iter(free)

        def take(n: int) -> list[_Person]:
            return [next(pool) for _ in range(n)]

        def states(subsidy_type: str) -> list[str]:
            out = [s for s, n in zip(MIX_STATES, MIX[subsidy_type], strict=True) for _ in range(n)]
            rng.shuffle(out)
            return out

        def committee_or(p: _Person, *keys: str) -> _Org:
            if p.village.id in self.committees and rng.random() < 0.7:
                return self.committees[p.village.id]
            return orgs[rng.choice(keys)]

        claims: list[_ClaimPlan] = []
        # Transport subsidy and migrant work reward exclude each other: different people.
        outbound = [(T.TRANSPORT_SUBSIDY, s) for s in states(T.TRANSPORT_SUBSIDY)] + [
            (T.MIGRANT_WORK_REWARD, s) for s in states(T.MIGRANT_WORK_REWARD)
        ]
        migrants = take(len(outbound))
        for p, (kind, s) in zip(migrants, outbound, strict=True):
            claims.append(self._claim(kind, p, committee_or(p, "broker1", "broker2", "agency1"), s))
        les = states(T.LABOUR_EXPORT_SERVICE)
        for p, s in zip(rng.sample(migrants, len(les)), les, strict=True):
            org = committee_or(p, "agency1", "broker1", "broker2")
            claims.append(self._claim(T.LABOUR_EXPORT_SERVICE, p, org, s))
        base_of: dict[int, _Org] = {}
        for p, s in zip(
            take(sum(MIX[T.EMPLOYMENT_BASE_REWARD])), states(T.EMPLOYMENT_BASE_REWARD), strict=True
        ):
            base_of[p.id] = orgs[rng.choice(("base1", "base2"))]
            claims.append(self._claim(T.EMPLOYMENT_BASE_REWARD, p, base_of[p.id], s))
        lists: list[list[_ClaimPlan]] = []
        employer: dict[int, _Org] = {}
        for subsidy_type, key in ((T.STARTUP_SUBSIDY, "startup1"), (T.WORKSHOP_REWARD, "workshop1")):
            for ago, list_states in zip(((58, 66), (3, 8)), LISTS[subsidy_type], strict=True):
                people = take(len(list_states))
                employer.update((p.id, orgs[key]) for p in people)
                lists.append(self._list(subsidy_type, people, orgs[key], list_states, ago))
        employed = [p for p in free if p.id in employer or p.id in base_of]
        wft = rng.sample(employed, 11) + take(4)
        for p, s in zip(wft, states(T.WORK_FOR_TRAINING), strict=True):
            org = employer.get(p.id) or base_of.get(p.id) or orgs["company1"]
            claims.append(self._claim(T.WORK_FOR_TRAINING, p, org, s))
        for p, s in zip(
            rng.sample(free, sum(MIX[T.TRAINING_ALLOWANCE])), states(T.TRAINING_ALLOWANCE), strict=True
        ):
            claims.append(self._claim(T.TRAINING_ALLOWANCE, p, committee_or(p, "agency1"), s))
        me = self.self_filer
        claims += [
            self._claim(T.TRAINING_ALLOWANCE, me, orgs["self1"], S.FINANCE_PAID),
            self._claim(T.TRANSPORT_SUBSIDY, me, orgs["self1"], S.VILLAGE_VERIFIED),
        ]
        claims += self._plan_post_claims()
        self._facts(claims + [c for batch in lists for c in batch])
        return claims, lists

    def _plan_post_claims(self) -> list[_ClaimPlan]:
        """Monthly 在岗领补 claims for the last months each active contract covered."""
        rng, t = self.rng, self.time
        latest = (t.today - timedelta(days=15)).replace(day=1) - relativedelta(months=1)
        wanted: list[tuple[_ContractPlan, date, str]] = []
        for plan in self._all_contracts():
            activated = plan.act_at("activate")
            if activated is None or plan.post.village.id not in self.committees:
                continue
            for back in range(3):
                month = latest - relativedelta(months=back)
                if month <= plan.last_day and add_months(month, 1) > plan.start:
                    state = (
                        rng.choices(
                            (S.FINANCE_PAID, S.HR_REVIEWED, S.VILLAGE_VERIFIED, S.SUBMITTED), (40, 25, 20, 15)
                        )[0]
                        if back == 0
                        else S.FINANCE_PAID
                    )
                    wanted.append((plan, month, state))
        claims = [c for c in (self._post_claim(*w) for w in wanted) if c is not None]
        # Every state at least once: a paid or reviewed month becomes a side exit instead.
        for state, back in (
            (S.EXPIRED, 1),
            (S.REJECTED, 1),
            (S.WITHDRAWN, 0),
            (S.RETURNED, 0),
            (S.SUBMITTED, 0),
            (S.VILLAGE_VERIFIED, 0),
            (S.HR_REVIEWED, 0),
            (S.FINANCE_PAID, 1),
        ):
            if any(c.state == state for c in claims):
                continue
            month = latest - relativedelta(months=back)
            for i, c in enumerate(claims):
                if (
                    c.month == month
                    and c.state in (S.FINANCE_PAID, S.HR_REVIEWED)
                    and sum(x.state == c.state for x in claims) > 1
                    and c.contract
                ):
                    instead = self._post_claim(c.contract, month, state)
                    if instead is not None:
                        claims[i] = instead
                        break
            else:
                raise RuntimeError(f"demo: no month left for a {state} 公益性岗位 claim")
        return claims

    def _post_claim(self, plan: _ContractPlan, month: date, state: str) -> _ClaimPlan | None:
        t = self.time
        month_end = add_months(month, 1) - timedelta(days=1)
        filed = t.cal.add_working_days(month_end, self.rng.randint(1, 4))
        recent_ago: dict[str, tuple[int, int]] = {
            S.SUBMITTED: (0, 5),
            S.VILLAGE_VERIFIED: (3, 10),
            S.RETURNED: (3, 15),
        }
        recent = recent_ago.get(state)
        if recent:
            filed = max(filed, t.ago(*recent))
        path = self.rng.choice(PATHS[state])
        times = t.plan(filed, [PWP_GAPS[s] for s in path[1:]], floor=month)
        activated = plan.act_at("activate")
        if times is None or activated is None or times[0] <= activated:
            return None
        if self._covered(plan, month) == 0:  # no working day of the month on the post
            return None
        person, org = plan.person, self.committees[plan.post.village.id]
        return _ClaimPlan(
            T.PUBLIC_WELFARE_POST,
            person,
            org,
            state,
            self._acts(path, times, person, org, PWP_COMMENTS),
            plan,
            month,
        )

    def _all_contracts(self) -> Iterator[_ContractPlan]:
        for plan in self.contracts:
            yield plan
            if plan.successor:
                yield plan.successor

    def _facts(self, claims: Sequence[_ClaimPlan]) -> None:
        rng = self.rng
        employed_since: dict[int, date] = {}
        for c in claims:
            if months := EMPLOYMENT_MONTHS.get(c.subsidy_type):
                latest = add_months(c.acts[0].at.date(), -months)
                employed_since[c.person.id] = min(employed_since.get(c.person.id, latest), latest)
        since = {
            pid: day - timedelta(days=rng.randint(3, 100)) for pid, day in sorted(employed_since.items())
        }
        destination = {
            p.id: rng.choices(("out_of_province", "in_province"), (65, 35))[0] for p in self.persons
        }
        course = {p.id: rng.choice(COURSES) for p in self.persons}
        for c in claims:
            pid, filed = c.person.id, c.acts[0].at.date()
            if c.subsidy_type in EMPLOYMENT_MONTHS:
                c.facts["employment_start"] = since[pid].isoformat()
            if c.subsidy_type in (T.LABOUR_EXPORT_SERVICE, T.TRANSPORT_SUBSIDY, T.MIGRANT_WORK_REWARD):
                c.facts["destination"] = destination[pid]
            if c.subsidy_type == T.TRANSPORT_SUBSIDY:
                far = destination[pid] == "out_of_province"
                c.facts["fare"] = str(rng.randrange(600, 1500, 10) if far else rng.randrange(120, 620, 10))
            elif c.subsidy_type in (T.STARTUP_SUBSIDY, T.WORKSHOP_REWARD):
                months = max(1, months_completed(since[pid], filed))
                c.facts["wages_paid"] = str(rng.randrange(2600, 4200, 100) * months)
                if c.subsidy_type == T.STARTUP_SUBSIDY:
                    c.facts["operating_normally"] = True
            elif c.subsidy_type == T.WORK_FOR_TRAINING:
                months = rng.randint(1, 6)
                c.facts["training_months"] = months
                c.facts["employment_start"] = (
                    add_months(filed, -months) - timedelta(days=rng.randint(0, 20))
                ).isoformat()
            elif c.subsidy_type == T.TRAINING_ALLOWANCE:
                c.facts.update(
                    course_id=course[pid][0],
                    course_days=course[pid][1],
                    course_end=(filed - timedelta(days=rng.randint(1, 30))).isoformat(),
                    course_completed=True,
                )
            elif c.subsidy_type == T.PUBLIC_WELFARE_POST:
                assert c.month is not None
                c.facts["month"] = month_key(c.month)

    # ------------------------------------------------------------------------ the replay
    def _input(self, claim: _ClaimPlan) -> ClaimInput:
        contract_id = claim.contract.id if claim.contract else None
        return ClaimInput(claim.subsidy_type, claim.person.id, None, dict(claim.facts), contract_id)

    def _claim_case(self, claim: _ClaimPlan) -> Iterator[datetime]:
        yield claim.acts[0].at
        with self.db.transaction() as session:
            claim.id = file_claim(session, self.db, claim.acts[0].actor, self._input(claim)).id
        yield from self._claim_steps(claim)

    def _list_case(self, claims: Sequence[_ClaimPlan]) -> Iterator[datetime]:
        """A list filed in one go: each claim sees the rest of the list as already claimed."""
        yield claims[0].acts[0].at
        pending = [OtherClaim(c.subsidy_type, c.person.id, c.org.id, self.year, None) for c in claims]
        with self.db.transaction() as session:
            for i, claim in enumerate(claims):
                claim.id = file_claim(
                    session, self.db, claim.acts[0].actor, self._input(claim), extra_others=pending[i + 1 :]
                ).id
        for claim in claims:
            self.replay.start(self._claim_steps(claim))

    def _claim_steps(self, claim: _ClaimPlan) -> Iterator[datetime]:
        assert claim.id is not None
        for act in claim.acts[1:]:
            yield act.at
            if act.trigger == "resubmit":
                resubmit_claim(self.db, act.actor, claim.id, dict(claim.facts))
            elif act.trigger == "pay":
                self._pay(claim.id, act)
            else:
                trigger = "return" if act.trigger == "hr_return" else act.trigger
                days = (
                    self._attendance(claim)
                    if trigger == "verify" and claim.subsidy_type == T.PUBLIC_WELFARE_POST
                    else None
                )
                transition(
                    self.db, "claim", claim.id, trigger, act.actor, comment=act.comment, attendance_days=days
                )

    def _covered(self, plan: _ContractPlan, month: date) -> int:
        workdays = month_workdays(self.time.cal, T.PUBLIC_WELFARE_POST, month_key(month))
        return sum(plan.start <= d <= plan.last_day for d in workdays or ())

    def _attendance(self, claim: _ClaimPlan) -> int:
        """The days on the post a village confirms: mostly every working day the contract
        covers in the month, now and then a few fewer (its own generator, so the replay's
        order does not change the rest of the demo)."""
        assert claim.contract is not None and claim.month is not None
        covered = self._covered(claim.contract, claim.month)
        missed = random.Random(f"{SEED}:{claim.person.id}:{claim.month}").choice((0, 0, 0, 1, 2))
        return max(1, covered - missed)

    def _pay(self, claim_id: int, act: _Act) -> None:
        """Paid the only way money moves: a payout batch, confirmed with the bank's serial
        number (the demo pays each such claim in a batch of its own, then closes it)."""
        assert act.comment is not None
        batch = create_batch(self.db, act.actor, [claim_id])
        serial = act.comment.rsplit(" ", 1)[-1]
        [outcome] = confirm_paid(self.db, act.actor, batch.id, serial, act.at.date())
        assert outcome.outcome == "paid", outcome
        close_batch(self.db, act.actor, batch.id)

    def _contract_case(self, plan: _ContractPlan) -> Iterator[datetime]:
        if plan.propose_at is not None:
            yield plan.propose_at
            with self.db.transaction() as session:
                plan.id = propose_contract(
                    session,
                    self.db,
                    plan.proposer,
                    ContractInput(plan.post.id, plan.person.id, plan.start, plan.end, kind=plan.kind),
                ).id
        assert plan.id is not None
        for act in plan.acts:
            yield act.at
            if act.trigger == "insure":
                assert act.comment is not None
                record_insurance(self.db, act.actor, plan.id, act.comment)
            elif act.trigger == "renew":
                assert plan.successor is not None
                plan.successor.id = renew_contract(self.db, act.actor, plan.id).id
                self.replay.start(self._contract_case(plan.successor))
            elif act.trigger == "terminate":
                terminate_contract(self.db, act.actor, plan.id, act.comment, terminated_on=act.at.date())
            else:
                transition(self.db, "contract", plan.id, act.trigger, act.actor, comment=act.comment)
