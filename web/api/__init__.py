"""The agent API under /api/v1: bearer tokens only, one organisation's claims per token."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from ..deps import STORES
from .claim_documents import ClaimDocumentController
from .claims import ClaimController
from .deps import agent_actor, before_api_request
from .lists import ListController
from .persons import PersonController

api_router = Router(
    path="/api/v1",
    route_handlers=[PersonController, ClaimController, ClaimDocumentController, ListController],
    dependencies={
        **STORES,
        "actor": Provide(agent_actor, sync_to_thread=True),
    },
    security=[{"BearerToken": []}],
    before_request=before_api_request,
)
