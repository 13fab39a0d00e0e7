"""Page and API handlers are thin: they open no transaction and import no SQLAlchemy or ORM model.

The rule is written at the top of ``store/db.py``: a service owns its one transaction;
handlers parse, call a service, and render or map its errors, with ``db`` injected.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("web/pages", "web/api", "web/portal")
HANDLERS = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.py"))
# How a unit of work is opened: only a service (in store) may do it.
OPENERS = {"transaction", "sessions", "engine"}


def _orm(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("store.") and (
        last == "models" or last.endswith("_models") or last.endswith("_model")
    )


def _forbidden_import(module: str) -> bool:
    return module == "sqlalchemy" or module.startswith("sqlalchemy.") or _orm(module)


def violations(source: str, package: str) -> list[str]:
    """What in this source breaks the rule: forbidden imports (relative ones resolved against
    ``package``) and any use of ``.transaction``, ``.sessions`` or ``.engine``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Attribute) and node.attr in OPENERS:
            found.append(f"line {node.lineno}: .{node.attr}")
        found += [f"line {node.lineno}: imports {n}" for n in names if _forbidden_import(n)]
    return found


def test_the_scan_covers_every_page_and_api_module() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in HANDLERS}
    assert {"web/pages/cases.py", "web/pages/contracts.py", "web/api/claims.py", "web/api/views.py"} <= names


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "import sqlalchemy.orm",
        "from store.models import Claim",
        "from store.payouts.models import PayoutLine",
        "from store import sweep_models",
        "from store.documents.models import Document",
        "with db.transaction() as session: pass",
        "with state.db.sessions() as session: pass",
        "with db.sessions.begin() as session: pass",
        "with db.engine.connect() as conn: pass",
    ],
)
def test_the_scan_catches_a_handler_that_queries_or_opens_a_transaction(source: str) -> None:
    assert violations(source, "web.pages")


def test_the_scan_lets_a_handler_call_a_service() -> None:
    source = "from store import case_view\nfrom store.db import Database\n"
    assert violations(source + "view = case_view.case(db, who.actor, 1)\n", "web.pages") == []


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_handler_imports_sqlalchemy_or_an_orm_model_or_opens_a_transaction(path: Path) -> None:
    package = ".".join(path.relative_to(ROOT).parent.parts)
    assert violations(path.read_text(encoding="utf-8"), package) == []
