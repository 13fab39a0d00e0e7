"""Server-rendered pages for staff: sign-in, inbox, case pages, contracts, dashboard, help."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from ..deps import STORES
from .admin import AdminController
from .audit_log import AuditLogController
from .auth import AuthController
from .baseline import BaselineController
from .cases import CaseController
from .contracts import ContractController
from .dashboard import DashboardController
from .documents import DocumentController, VerifyController
from .evidence import EvidenceController
from .exports import ExportController
from .guard import staff
from .imports import ImportController
from .mine import MineController
from .notifications import NotificationController
from .organisations import OrganisationController
from .payouts import PayoutController
from .persons import PersonController
from .policy import PolicyController
from .post_edits import PostEditController
from .review import ReviewController
from .search import SearchController
from .totp import TotpController
from .users import UserController

public_pages = [AuthController, VerifyController]
staff_router = Router(
    path="/",
    route_handlers=[CaseController],
    include_in_schema=False,
    dependencies={**STORES, "who": Provide(staff, sync_to_thread=True)},
)
staff_router.register(DashboardController)
staff_router.register(ContractController)
staff_router.register(DocumentController)
staff_router.register(PayoutController)
staff_router.register(NotificationController)
staff_router.register(AdminController)
staff_router.register(OrganisationController)
staff_router.register(PolicyController)
staff_router.register(TotpController)
staff_router.register(BaselineController)
staff_router.register(PersonController)
staff_router.register(UserController)
staff_router.register(AuditLogController)
staff_router.register(PostEditController)
staff_router.register(ImportController)
staff_router.register(SearchController)
staff_router.register(ReviewController)
staff_router.register(ExportController)
staff_router.register(EvidenceController)
staff_router.register(MineController)
