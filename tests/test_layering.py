"""The pure core imports no database, web, PDF or template library; and identity numbers.

The pure core is everything in ``workflow/`` except the store, the CLI and the demo loader.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from workflow.errors import ValidationFailed
from workflow.identity import (
    birth_date,
    mask,
    normalise_bank_account,
    normalise_credit_code,
    normalise_id_number,
    sex,
)

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflow"
NOT_CORE = ("store", "cli.py", "demo.py", "docs")  # relative to workflow/
FORBIDDEN = ("sqlalchemy", "litestar", "weasyprint", "alembic", "jinja2", "web")
# inside the package, the core may not reach out to the impure parts either
FORBIDDEN_INTERNAL = ("workflow.store", "workflow.cli", "workflow.demo")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an import statement in ``source`` names, relative imports resolved."""
    found: set[str] = set()
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def offending(names: set[str], banned: tuple[str, ...]) -> set[str]:
    return {n for n in names for b in banned if n == b or n.startswith(b + ".")}


def core_modules() -> list[Path]:
    paths = []
    for path in sorted(WORKFLOW.rglob("*.py")):
        rel = path.relative_to(WORKFLOW)
        if rel.parts[0] in NOT_CORE or "__pycache__" in rel.parts:
            continue
        paths.append(path)
    return paths


def imports_of(path: Path) -> set[str]:
    return imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


CORE = core_modules()


def test_the_walk_finds_the_core_and_skips_the_rest() -> None:
    names = {module_name(p) for p in CORE}
    assert {
        "workflow",
        "workflow.engine",
        "workflow.machines",
        "workflow.guards",
        "workflow.calendar",
        "workflow.money",
        "workflow.identity",
        "workflow.rules",
        "workflow.rules.subsidies",
        "workflow.rules.params",
    } <= names
    assert not {n for n in names if n.startswith(FORBIDDEN_INTERNAL)}


@pytest.mark.parametrize("path", CORE, ids=[module_name(p) for p in CORE])
def test_core_module_imports_nothing_impure(path: Path) -> None:
    names = imports_of(path)
    assert not offending(names, FORBIDDEN), f"{module_name(path)} imports {names}"
    assert not offending(names, FORBIDDEN_INTERNAL), f"{module_name(path)} imports {names}"


def test_workflow_never_imports_web() -> None:
    for path in sorted(WORKFLOW.rglob("*.py")):
        names = imports_of(path)
        assert not offending(names, ("web",)), f"{module_name(path)} imports web"


def test_the_checker_catches_what_it_should() -> None:
    src = "import sqlalchemy.orm\nfrom litestar import get\n"
    assert offending(imported_modules(src, "workflow.engine"), FORBIDDEN) == {
        "sqlalchemy.orm",
        "litestar",
        "litestar.get",
    }
    rel = "from ..store import models\nfrom .facts import ClaimDraft\nfrom .. import store\n"
    names = imported_modules(rel, "workflow.rules.subsidies")
    assert {"workflow.store", "workflow.store.models", "workflow.rules.facts"} <= names
    assert offending(names, FORBIDDEN_INTERNAL) == {"workflow.store", "workflow.store.models"}
    init = imported_modules("from .store import db\n", "workflow", is_package=True)
    assert offending(init, FORBIDDEN_INTERNAL) == {"workflow.store", "workflow.store.db"}
    assert offending({"webob", "websockets", "jinja2x"}, FORBIDDEN) == set()
    assert offending({"web.app", "jinja2"}, FORBIDDEN) == {"web.app", "jinja2"}


def test_importing_the_core_loads_nothing_impure() -> None:
    """At run time too (an import hidden in a function or in __init__ would show here)."""
    core = [module_name(p) for p in CORE]
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules\n"
        f"             if m.split('.')[0] in {FORBIDDEN!r}\n"
        f"             or m.startswith({FORBIDDEN_INTERNAL!r}))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# --------------------------------------------------------------------------------------
# identity.py
# --------------------------------------------------------------------------------------

VALID_ID = "533422199001011236"  # 德钦县, born 1990-01-01, male (17th digit 3)
VALID_ID_X = "53342219850105123X"  # check digit X
FEMALE_ID = "533422198512310022"  # 17th digit 2


def test_valid_id_numbers() -> None:
    assert normalise_id_number(VALID_ID) == VALID_ID
    assert normalise_id_number(VALID_ID_X) == VALID_ID_X
    assert normalise_id_number(" 53342219850105123x ") == VALID_ID_X  # lower-case x, spaces
    assert birth_date(VALID_ID) == date(1990, 1, 1)
    assert birth_date(VALID_ID_X) == date(1985, 1, 5)
    assert (sex(VALID_ID), sex(FEMALE_ID)) == ("男", "女")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("533422199001011232", "validation.id_number_checksum"),
        ("533422198501051231", "validation.id_number_checksum"),  # X expected
        ("53342219900101123", "validation.id_number"),  # 17 characters
        ("5334221990010112361", "validation.id_number"),  # 19 characters
        ("533422199013011233", "validation.id_number"),  # month 13, check digit right
        ("5334221990A1011236", "validation.id_number"),  # a letter in the body
        ("", "validation.id_number"),
    ],
)
def test_invalid_id_numbers(raw: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalise_id_number(raw, field="persons[3].id_number")
    assert info.value.code == code
    assert info.value.details["field"] == "persons[3].id_number"
    with pytest.raises(ValidationFailed) as info:
        normalise_id_number(raw)
    assert info.value.details["field"] == "id_number"


def test_mask() -> None:
    assert mask(VALID_ID_X) == "5334**********123X"
    assert mask(VALID_ID) == "5334**********1236"
    assert len(mask(VALID_ID)) == 18
    assert mask("6222021234567890123") == "6222***********0123"
    assert mask("12345678") == "********"
    assert mask("123456789") == "1234*6789"
    assert mask("") == "" and mask(None) == ""
    assert mask(VALID_ID, head=6, tail=0) == "533422************"


def test_credit_codes() -> None:
    assert normalise_credit_code("91533422ma6k12345b") == "91533422MA6K12345B"
    with pytest.raises(ValidationFailed) as info:
        normalise_credit_code("91533422MA6K12345C", field="org.credit_code")
    assert (info.value.code, info.value.details["field"]) == (
        "validation.credit_code_checksum",
        "org.credit_code",
    )
    for bad in ("91533422MA6K1234", "9153342XMA6K12345B", "91533422MA6K1234OB"):
        with pytest.raises(ValidationFailed) as info:
            normalise_credit_code(bad)
        assert (info.value.code, info.value.details["field"]) == ("validation.credit_code", "credit_code")


def test_bank_accounts() -> None:
    assert normalise_bank_account("6222 0212 3456 7890 123") == "6222021234567890123"
    assert normalise_bank_account("1" * 12) == "1" * 12
    assert normalise_bank_account("1" * 30) == "1" * 30
    for bad in ("1" * 11, "1" * 31, "6222-0212-3456-7890", "62220212345678901X", ""):
        with pytest.raises(ValidationFailed) as info:
            normalise_bank_account(bad, field="payee_account")
        assert (info.value.code, info.value.details["field"]) == ("validation.bank_account", "payee_account")
