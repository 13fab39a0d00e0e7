"""The Litestar application: health, the home page, the machine diagrams."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, get
from litestar.datastructures import State
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from sqlalchemy import func, select, text

from workflow.config import Settings, data_dir
from workflow.diagram import mermaid
from workflow.machines import WORKFLOWS
from workflow.states import STATE_LABELS
from workflow.store.db import Database
from workflow.store.models import Claim, Contract

from .api import api_router
from .problems import EXCEPTION_HANDLERS
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


def create_app(db: Database | None = None, files: Path | None = None) -> Litestar:
    if db is None:
        settings = Settings.from_env()
        db = Database.connect(settings.database_url, settings.secret)
    files = files or data_dir() / "files"
    missing = missing_system_packages()
    if missing:
        log.warning("缺少系统软件包，中文PDF可能无法正确或快速生成: %s "
                    "(sudo apt-get install %s)", ", ".join(missing), " ".join(missing))
    return Litestar(
        route_handlers=[health, home, machines_page, api_router],
        state=State({"db": db, "missing": missing, "files": files}),
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=OPENAPI,
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY,
        on_shutdown=[lambda: db.engine.dispose()],
    )


MAX_BODY = 12 * 1024 * 1024  # a 10 MB list or evidence file plus its multipart envelope
OPENAPI = OpenAPIConfig(
    title="扶智 Fuzhi agent API",
    version="1.0.0",
    description=(
        "申报主体（劳务经纪人、人力资源服务机构、村委会、企业、就业帮扶基地和车间）通过本接口登记"
        "帮扶对象、提交和跟踪补贴申请、上传证明材料和申报清单。\n\n"
        "Authentication: `Authorization: Bearer <token>` (from `fuzhi token create`). "
        "Errors are `application/problem+json` with a stable `code` and a Chinese `detail`. "
        "POSTs accept an `Idempotency-Key` header: the same key and body return the first "
        "response again. Money is a decimal string in yuan."
    ),
    path="/schema",
    components=Components(security_schemes={
        "BearerToken": SecurityScheme(type="http", scheme="bearer",
                                      description="接口令牌：fuzhi token create USERNAME"),
    }),
    render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
)
