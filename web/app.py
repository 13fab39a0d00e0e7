"""The Litestar application: health, the home page, the machine diagrams."""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Thread
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.allowed_hosts import AllowedHostsMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import text

from store.claims import COUNT_CAP, KINDS
from store.db import Database, tighten_files, tighten_tree
from store.heavy import HeavySettings
from store.heavy import configure as configure_heavy
from store.keys import problem as key_problem
from workflow.clock import FrozenClock
from workflow.config import Settings, data_dir, key_ring_reader, sweep_minutes
from workflow.diagram import mermaid
from workflow.machines import WORKFLOWS
from workflow.roles import ROLE_LABELS
from workflow.rules.facts import FACT_LABELS
from workflow.states import CAPACITY_LABELS, DESTINATION_LABELS, TARGET_GROUP_LABELS

from .allow import complete_allow
from .api import api_router
from .api.document import ClosedStructs
from .assets import STATIC, StaticCaching, compression, static_url
from .audit import audit_requests
from .diagrams import svg as diagram_svg
from .i18n import LANGUAGES, template_ages_text, template_figure_text, template_gettext
from .jobs import Jobs
from .key_check import keys_at_start, keys_late
from .pages import public_pages, staff_router
from .pages.guard import (
    COOKIE,
    CSRF_COOKIE,
    Forbidden,
    SignInRequired,
    home_of,
    language,
    on_forbidden,
    on_permission_denied,
    on_sign_in_required,
)
from .pages.notifications import unread_notices
from .pages.once import AlreadySent, OnceMiddleware, on_already_sent, once_input
from .path_ids import bounded_path_ids
from .portal import portal_router
from .problems import EXCEPTION_HANDLERS
from .scheduler import sweep_hooks
from .schema_ui import RENDER_PLUGINS
from .security_headers import security_headers
from .sysdeps import missing_system_packages
from .timing import server_timing

log = logging.getLogger("fuzhi")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@get("/health", media_type=MediaType.JSON, sync_to_thread=True)
def health(state: State) -> Response[dict[str, Any]]:
    """``ok``, or 503 when the master key is not the one the data is under (``key mismatch``)."""
    db: Database = state.db
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    if (wrong := key_problem(db)) is not None:
        body = {"status": "key mismatch", "code": wrong.code, "detail": wrong.message, "database": db.dialect}
        return Response(body, status_code=503, media_type=MediaType.JSON)
    ok = {"status": "ok", "database": db.dialect, "missing_system_packages": state.missing}
    return Response(ok, status_code=200, media_type=MediaType.JSON)


@get("/", sync_to_thread=True, include_in_schema=False)
def home(request: Request[Any, Any, Any], state: State) -> Redirect:
    """Staff start on their inbox, agents on their organisation's claims."""
    return Redirect(home_of(state.db, request.cookies.get(COOKIE)))


@get("/help/machines", sync_to_thread=False, include_in_schema=False)
def machines_page(request: Request[Any, Any, Any]) -> Template:
    diagrams = {wf.label: mermaid(wf) for wf in WORKFLOWS.values()}
    pictures = {wf.label: diagram_svg(wf.name) for wf in WORKFLOWS.values()}
    return Template(
        "machines.html",
        context={
            "lang": language(request),
            "diagrams": diagrams,
            "pictures": pictures,
            "workflows": list(WORKFLOWS.values()),
        },
    )


def create_app(
    db: Database | None = None,
    files: Path | None = None,
    secure_cookies: bool | None = None,
    sweep_every: float | None = None,
    heavy: HeavySettings | None = None,
) -> Litestar:
    """The web app. ``sweep_every``: minutes between sweeps inside the server (default
    ``FUZHI_SWEEP_MINUTES`` or 5; 0 turns it off, as the tests do, where cron runs it)."""
    if db is None:  # the real server: what it creates is readable by the service user only
        os.umask(0o077)
        settings = Settings.from_env()  # KeyProblem when there is no master key
        db = Database.connect(settings.database_url, settings.secret, reload=key_ring_reader())
        tighten_files(db)
        tighten_tree(files or data_dir() / "files")
    keys_checked = keys_at_start(db)  # KeyProblem when it is not the key the data is under
    if isinstance(db.clock, FrozenClock):
        log.warning("时钟已固定在 %s（FUZHI_CLOCK）：仅供测试和演示", db.clock.now().isoformat())
    files = files or data_dir() / "files"
    missing = missing_system_packages()
    if missing:
        log.warning(
            "缺少系统软件包，中文PDF可能无法正确或快速生成: %s (sudo apt-get install %s)",
            ", ".join(missing),
            " ".join(missing),
        )
    if secure_cookies is None:
        secure_cookies = os.environ.get("FUZHI_INSECURE_COOKIES") != "1"
    jobs = Jobs()
    pool = configure_heavy(heavy or HeavySettings.from_env())  # list parsing, PDFs (store/heavy.py)
    start_sweeps, stop_sweeps = sweep_hooks(db, sweep_minutes() if sweep_every is None else sweep_every)
    return Litestar(
        route_handlers=[
            health,
            home,
            machines_page,
            api_router,
            *public_pages,
            staff_router,
            portal_router,
            create_static_files_router(
                path="/static", directories=[STATIC], include_in_schema=False, middleware=[StaticCaching]
            ),
        ],
        state=State(
            {
                "db": db,
                "missing": missing,
                "files": files,
                "secure_cookies": secure_cookies,
                "jobs": jobs,
                "keys_checked": keys_checked,
            }
        ),
        before_request=keys_late,
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=jinja_setup
        ),
        openapi_config=OPENAPI,
        plugins=[ClosedStructs()],  # bodies that refuse unknown fields say so in the document
        csrf_config=CSRFConfig(
            secret=_csrf_secret(db),
            cookie_secure=secure_cookies,
            cookie_httponly=True,
            cookie_name=CSRF_COOKIE,
            exclude=["/api/", "/schema"],
        ),
        compression_config=compression(),
        middleware=[
            server_timing,
            audit_requests,  # who, from where, refusals, downloads and changes (web/audit.py)
            bounded_path_ids,  # an id out of the keys' range is a 404, never a 500
            complete_allow,  # OPTIONS lists every method of its path
            DefineMiddleware(AllowedHostsAnyPort, config=AllowedHostsConfig(allowed_hosts=_allowed_hosts())),
            OnceMiddleware,  # a staff form sent twice is one action (web/pages/once.py)
        ],
        exception_handlers={
            **EXCEPTION_HANDLERS,
            SignInRequired: on_sign_in_required,
            Forbidden: on_forbidden,
            PermissionDeniedException: on_permission_denied,  # a stale CSRF token
            AlreadySent: on_already_sent,
        },
        request_max_body_size=MAX_BODY,
        before_send=[security_headers],  # CSP, frame denial, no-store, … on every answer
        on_startup=[request_threads, start_sweeps, lambda: Thread(target=pool.warm, daemon=True).start()],
        on_shutdown=[stop_sweeps, jobs.shutdown, pool.shutdown, lambda: db.engine.dispose()],
    )


def request_threads() -> None:
    """Synchronous handlers run on the event loop's default executor, which asyncio sizes at
    ``min(32, CPUs + 4)``: 6 threads on a 2-core server, so that six requests waiting for a
    worker process (an upload, a PDF) held ``/health`` and the inbox up for seconds. The
    threads mostly wait (on the database, on ``store.heavy``), so there are many more of them
    (``FUZHI_REQUEST_THREADS``, default 64); the heavy work itself stays bounded by its pool."""
    count = int(os.environ.get("FUZHI_REQUEST_THREADS", "64"))
    executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="fuzhi-request")
    asyncio.get_running_loop().set_default_executor(executor)


def jinja_setup(engine: JinjaTemplateEngine) -> None:
    engine.engine.globals["_"] = template_gettext
    engine.engine.globals["languages"] = LANGUAGES
    engine.engine.globals["ages_text"] = template_ages_text  # 16–60周岁, aged 16–60
    engine.engine.globals["figure_text"] = template_figure_text  # a policy figure with its unit
    engine.engine.globals["unread_notices"] = unread_notices  # the nav badge, on every page
    engine.engine.globals["once_input"] = (
        once_input  # every POST form: {{ csrf_input | safe }}{{ once_input() }}
    )
    engine.engine.globals["static_url"] = static_url  # /static/x.css?v=<hash>, cached a year
    engine.engine.globals.update(
        role_labels={r.value: label for r, label in ROLE_LABELS.items()},
        group_labels=TARGET_GROUP_LABELS,
        fact_labels=FACT_LABELS,
        destination_labels=DESTINATION_LABELS,
        capacity_labels=CAPACITY_LABELS,
        evidence_kind_labels=KINDS,  # 务工收入证明, 考勤记录, … (the case page's evidence)
    )
    engine.engine.filters["capped"] = lambda n: f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)
    engine.engine.autoescape = True


def _csrf_secret(db: Database) -> str:
    # A key of its own, derived from the master secret, so every server process agrees on it.
    return db.vault.csrf_secret()


class AllowedHostsAnyPort(AllowedHostsMiddleware):
    """Litestar's allowed-hosts check, on the host without its port. Litestar ≥ 2.22 matches the
    whole Host header (litestar-org/litestar#4869), so ``Host: 127.0.0.1:8000`` — every request
    to ``fuzhi serve`` — was refused with a 400."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        host = MutableScopeHeaders(scope=scope).get("host") or ""
        bare = host if host.endswith("]") else host.rsplit(":", 1)[0]  # [::1]:8000 → [::1]
        if self.allowed_hosts_regex is None or (bare and self.allowed_hosts_regex.fullmatch(bare)):
            await self.app(scope, receive, send)
            return
        # Refused as every other error is: problem+json with a stable code.
        body = msgspec.json.encode(
            {
                "type": "/problems/request.host_not_allowed",
                "title": "请求有误",
                "status": 400,
                "code": "request.host_not_allowed",
                "detail": "请求的主机名不在允许列表中",
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _allowed_hosts() -> list[str]:
    configured = os.environ.get("FUZHI_ALLOWED_HOSTS")
    if configured:
        return [h.strip() for h in configured.split(",") if h.strip()]
    return ["127.0.0.1", "localhost", "testserver.local", "testserver", "[::1]"]


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
    components=Components(
        security_schemes={
            "BearerToken": SecurityScheme(
                type="http", scheme="bearer", description="接口令牌：fuzhi token create USERNAME"
            ),
        }
    ),
    render_plugins=RENDER_PLUGINS,  # their files served from web/static/schema: no CDN
)
