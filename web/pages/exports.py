"""Excel downloads of the staff's lists (导出Excel): the inbox, contracts, payouts and a batch,
the dashboard, the register of organisations and the search's results, each with the query its
page was opened with and the same roles as the page; the rows come from ``store.exports``."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from store import exports, people
from store import search as finder
from store.access import SignedIn
from store.claims import Filters
from store.contracts import ContractFilter
from store.db import Database
from workflow.roles import Role
from workflow.states import ContractState, OrgKind, SubsidyType

from ..downloads import NOSNIFF, file_response
from .cases import inbox_filters
from .guard import STAFF_ROLES, require
from .organisations import KEEPERS


def xlsx(download: exports.Download) -> Response[bytes]:
    """The workbook as an attachment; never cached (it holds names and masked numbers)."""
    return file_response(
        download.content,
        download.filename,
        download.media_type,
        headers={"Cache-Control": "no-store", **NOSNIFF},
    )


def _subsidy_type(value: str | None) -> str | None:
    return value if value in SubsidyType.__members__.values() else None


class ExportController(Controller):
    path = "/exports"
    include_in_schema = False

    @get("/inbox", sync_to_thread=True)
    def inbox(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        subsidy_type: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
        batch: FromQuery[str | None] = None,
        overdue: FromQuery[bool] = False,
        q: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The inbox's filters as /inbox reads them; every page, not the page's cursor."""
        require(who, *STAFF_ROLES)
        f = inbox_filters(status, subsidy_type, village, batch, overdue, q)
        return xlsx(exports.inbox_export(db, who.actor, f))

    @get("/contracts", sync_to_thread=True)
    def contracts(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        status: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        require(who, *STAFF_ROLES)
        state = status if status in ContractState.__members__.values() else None
        return xlsx(exports.contracts_export(db, who.actor, ContractFilter(state=state, village_id=village)))

    @get("/payouts", sync_to_thread=True)
    def payouts(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        subsidy_type: FromQuery[str | None] = None,
        village: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        require(who, Role.FINANCE)
        f = Filters(subsidy_type=_subsidy_type(subsidy_type), village_id=village)
        return xlsx(exports.payouts_export(db, who.actor, f))

    @get("/payouts/{batch_id:int}", sync_to_thread=True)
    def batch(
        self, db: NamedDependency[Database], who: NamedDependency[SignedIn], batch_id: FromPath[int]
    ) -> Response[bytes]:
        require(who, Role.FINANCE)
        return xlsx(exports.batch_export(db, who.actor, batch_id))

    @get("/dashboard", sync_to_thread=True)
    def dashboard(self, db: NamedDependency[Database], who: NamedDependency[SignedIn]) -> Response[bytes]:
        require(who, *STAFF_ROLES)
        return xlsx(exports.dashboard_export(db, who.actor))

    @get("/organisations", sync_to_thread=True)
    def organisations(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        q: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        require(who, *KEEPERS)
        f = people.OrgFilter(
            q=(q or "").strip()[:50] or None, kind=kind if kind in OrgKind.__members__.values() else None
        )
        return xlsx(exports.organisations_export(db, who.actor, f))

    @get("/search", sync_to_thread=True)
    def search(
        self,
        db: NamedDependency[Database],
        who: NamedDependency[SignedIn],
        q: FromQuery[str | None] = None,
        person: FromQuery[int | None] = None,
        kind: FromQuery[str] = "claims",
    ) -> Response[bytes]:
        """The search as /search reads it (a text, or ``person`` for a whole ID number posted to
        the page), every page of each kind; a whole ID number in ``q`` is refused, as there."""
        require(who, *STAFF_ROLES)
        return xlsx(exports.search_export(db, who.actor, finder.SearchQuery(q, person, kind)))
