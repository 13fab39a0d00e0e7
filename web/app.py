"""The Litestar application: health, the home page, the machine diagrams."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, get
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from sqlalchemy import func, select, text

from workflow.config import Settings
from workflow.diagram import mermaid
from workflow.machines import WORKFLOWS
from workflow.states import STATE_LABELS
from workflow.store.db import Database
from workflow.store.models import Claim, Contract

from .sysdeps import missing_system_packages

log = logging.getLogger("fuzhi")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@get("/health", media_type=MediaType.JSON, sync_to_thread=True)
def health(state: State) -> dict[str, Any]:
    db: Database = state.db
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": db.dialect, "missing_system_packages": state.missing}


@get("/", sync_to_thread=True)
def home(state: State) -> Template:
    db: Database = state.db
    with db.sessions() as session:
        claims = dict(session.execute(select(Claim.state, func.count()).group_by(Claim.state)).all())
        contracts = dict(session.execute(
            select(Contract.state, func.count()).group_by(Contract.state)).all())
    return Template("home.html", context={"claims": claims, "contracts": contracts,
                                          "labels": STATE_LABELS, "missing": state.missing})


@get("/help/machines", sync_to_thread=False)
def machines_page() -> Template:
    diagrams = {wf.label: mermaid(wf) for wf in WORKFLOWS.values()}
    return Template("machines.html", context={"diagrams": diagrams,
                                              "workflows": list(WORKFLOWS.values())})


def create_app(db: Database | None = None) -> Litestar:
    if db is None:
        settings = Settings.from_env()
        db = Database.connect(settings.database_url, settings.secret)
    missing = missing_system_packages()
    if missing:
        log.warning("缺少系统软件包，中文PDF可能无法正确或快速生成: %s "
                    "(sudo apt-get install %s)", ", ".join(missing), " ".join(missing))
    return Litestar(
        route_handlers=[health, home, machines_page],
        state=State({"db": db, "missing": missing}),
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        on_shutdown=[lambda: db.engine.dispose()],
    )
