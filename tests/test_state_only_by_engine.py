"""Nothing but the engine moves a claim, a contract or a payout batch: the code is read (ast)
for a state set by hand outside the engine and the transition service."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The engine fires the shared machine; the transition service writes what it decided.
ALLOWED = {"workflow/engine.py", "store/transitions.py"}
MODELS = {"Claim", "Contract", "PayoutBatch"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def stray_states(source: str) -> list[int]:
    """Lines that set a ``state`` by hand: ``x.state = ...`` (also in a tuple or with +=),
    ``setattr(x, "state", ...)``, or ``state=`` given to a model, to ``dict(...)`` or to an
    UPDATE's ``.values(...)``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            parts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            if any(isinstance(p, ast.Attribute) and p.attr == "state" for p in parts):
                lines.append(node.lineno)
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called == "setattr" and len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and arg.value == "state":
                    lines.append(node.lineno)
            if called in MODELS | {"dict", "values"} and any(k.arg == "state" for k in node.keywords):
                lines.append(node.lineno)
    return lines


def test_no_state_is_set_outside_the_engine() -> None:
    found = {}
    packages = ("workflow", "store", "printing", "cli", "demo", "web")
    for path in sorted(p for package in packages for p in ROOT.glob(f"{package}/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        if lines := stray_states(path.read_text(encoding="utf-8")):
            found[rel] = lines
    assert found == {}


def test_the_scan_finds_each_way_of_setting_a_state_by_hand() -> None:
    source = "\n".join(
        [
            "batch.state = 'closed'",
            "batch.state, batch.closed_at = 'closed', now",
            "setattr(claim, 'state', 'submitted')",
            "Claim(state='submitted', amount=1)",
            "values = dict(state='submitted')",
            "s.execute(update(PayoutBatch).values(state='confirmed'))",
            "f = Filters(state=status)",  # a filter names a state, it sets none
            "if claim.state == 'submitted': pass",
        ]
    )
    assert stray_states(source) == [1, 2, 3, 4, 5, 6]
