"""The demo county's organisations, staff logins and posts: the claimants and their agents,
the village verifiers, HR and finance, and each village's 公益性岗位.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from store.access import actor_for, create_token, create_user
from store.models import Post
from store.people import create_organisation
from workflow.errors import ValidationFailed
from workflow.roles import Actor
from workflow.states import OrgKind

from .names import Identities
from .places import (
    COMMITTEE_AGENTS,
    INFO_OFFICERS,
    MULTI_ROLE_VILLAGE,
    NO_GRADUATE_POST,
    ORGS,
    POSTS,
    TOWNSHIPS,
)
from .plans import OrgRow, PostRow, VillageRow
from .report import DemoLogin, demo_password


class StaffLoader(Identities):
    """Makes the organisations, the users with their logins and tokens, and the posts."""

    def _org(
        self,
        session: Session,
        key: str,
        name: str,
        kind: str,
        prefix: str | None,
        recognised: bool = False,
        first_business: bool = False,
        village: VillageRow | None = None,
        bank: str | None = None,
    ) -> OrgRow:
        org = create_organisation(
            session,
            self.db,
            name=name,
            kind=kind,
            credit_code=self.credit_code(prefix) if prefix else None,
            recognised=recognised,
            first_business=first_business,
            village_id=village.id if village else None,
            bank_account=bank or "2502" + self.digits(16),
        )
        self.orgs[key] = OrgRow(org.id, name)
        return self.orgs[key]

    def load_organisations(self, session: Session) -> None:
        by_slug = {v.slug: v for v in self.villages}
        for key, kind, name, prefix, recognised, first, slug in ORGS:
            name = name or f"劳务经纪人{self.name(True)}"
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
            bank=self.bank_card(),
        )

    # ---------------------------------------------------------------------------- users
    def _user(
        self,
        session: Session,
        username: str,
        display: str,
        roles: tuple[str, ...],
        villages: Sequence[VillageRow] = (),
        org: OrgRow | None = None,
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

    def load_users(self, session: Session) -> None:
        self._user(session, "admin", "系统管理员", ("admin",))
        for username in ("hr1", "hr2"):
            actor = self._user(
                session, username, f"{self.name(self.rng.random() < 0.5)}（县人社局）", ("hr",)
            )
            assert actor is not None
            self.hr.append(actor)
        self.finance = self._user(session, "finance", f"{self.name(False)}（人社局财务）", ("finance",))
        for _suffix, township, slug, _villages in TOWNSHIPS:
            self._user(
                session,
                f"village_{slug}",
                f"{self.name(self.rng.random() < 0.5)}（{township}）",
                ("village",),
                [v for v in self.villages if v.township == township],
            )
        for village in self.villages:
            if village.slug in INFO_OFFICERS:
                self._user(
                    session,
                    f"xxy_{village.slug}",
                    f"{self.name(self.rng.random() < 0.5)}（{village.name}就业信息员）",
                    ("village",),
                    [village],
                )
        for village in self.villages:
            if village.id in self.committees:
                multi = village.slug == MULTI_ROLE_VILLAGE
                self._user(
                    session,
                    f"cwh_{village.slug}",
                    f"{self.name(self.rng.random() < 0.5)}（{village.name}村委会）",
                    ("agent", "village") if multi else ("agent",),
                    [village] if multi else (),
                    self.committees[village.id],
                )
        for key, *_rest in ORGS:
            org = self.orgs[key]
            self._user(
                session, key, f"{self.name(self.rng.random() < 0.5)}（{org.name[:20]}）", ("agent",), org=org
            )
        self._user(session, "self1", self.self_filer.name, ("agent",), org=self.orgs["self1"])

    # ---------------------------------------------------------------------------- posts
    def load_posts(self, session: Session) -> None:
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
                self.posts.append(PostRow(post.id, village, title, places, graduate))
