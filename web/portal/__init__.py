"""The agents' own pages (申报主体: brokers, agencies, village committees, businesses) under
/agent: their organisation's claims and bulk lists, signed in at /login as staff are; every
other organisation's work is not found."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from ..deps import STORES
from .claim_steps import ClaimSteps
from .claims import ClaimPages, portal_home
from .guard import agent
from .lists import ListPages

portal_router = Router(
    path="/agent",
    route_handlers=[portal_home, ClaimPages, ClaimSteps, ListPages],
    include_in_schema=False,
    dependencies={**STORES, "who": Provide(agent, sync_to_thread=True)},
)
