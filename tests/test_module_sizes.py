"""A newcomer reads a module in one go: none is much over 300 lines unless its docstring says
why it is one module; and docs/modules.md, the map of every module, is current."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 320  # "about 300": a module may run a screen over while a cut is being found
WHY = "one module"  # the docstring of a longer module says why it is one module


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_modules", ROOT / "docs" / "modules.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()
ALL = [p for package in GENERATOR.PACKAGES for p in GENERATOR.modules(package)]


def test_the_walk_finds_every_package() -> None:
    tops = {p.relative_to(ROOT).parts[0] for p in ALL}
    assert tops == {"workflow", "printing", "store", "demo", "cli", "web"}
    assert len(ALL) > 100


def too_long(source: str) -> bool:
    lines = source.count("\n") + (not source.endswith("\n"))
    return lines > LIMIT and WHY not in (ast.get_docstring(ast.parse(source)) or "").lower()


def test_no_module_is_longer_than_a_newcomer_reads_unless_it_says_why() -> None:
    long = {
        p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8").count("\n")
        for p in ALL
        if too_long(p.read_text(encoding="utf-8"))
    }
    assert long == {}


def test_the_size_check_catches_what_it_should() -> None:
    body = "x = 1\n" * (LIMIT + 1)
    assert too_long('"""Short."""\n' + body)
    assert not too_long('"""Short.\n\nWhy this is one module: the table."""\n' + body)
    assert not too_long('"""Short."""\n' + "x = 1\n" * (LIMIT - 2))


@pytest.mark.parametrize("path", ALL, ids=[p.relative_to(ROOT).as_posix() for p in ALL])
def test_every_module_says_what_it_holds(path: Path) -> None:
    assert GENERATOR.holds(path), "a module docstring, first sentence: what it holds"


def test_the_map_of_modules_is_current() -> None:
    """After adding, moving or redescribing a module: make docs."""
    assert GENERATOR.PAGE.read_text(encoding="utf-8") == GENERATOR.page()
