"""Writes ``web/locale/labels.py``: an ``N_()`` for every text the pages show that lives in data
rather than in a template, so that ``pybabel extract`` finds it.

Those texts are the label tables of the core (states, subsidy types, roles, facts, ...), the
workflow tables (each workflow's name and its steps, shown on buttons and in histories), the
template globals set up in ``web.app``, a few label tables of the web layer, the guards'
messages and the fixed messages of the domain errors that reach a page. The core stays pure:
it is read from here and never imports ``web``.

    python -m web.locale.collect           # rewrite labels.py (``make i18n`` runs this first)
    python -m web.locale.collect --check   # exit 1 if labels.py is out of date

Messages built at run time (f-strings) cannot be looked up in a catalogue; they are listed at
the end of ``labels.py`` as comments and stay Chinese.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LABELS = Path(__file__).resolve().parent / "labels.py"
CJK = re.compile(r"[\u3400-\u9fff]")

# Where domain errors that a page can show are raised (the engine, the services, the pages).
ERROR_SOURCES = (
    "workflow/engine.py",
    "workflow/money.py",
    "workflow/passwords.py",
    "workflow/roles.py",
    "store/**/*.py",
    "web/pages/*.py",
    "web/portal/*.py",
    "workflow/review.py",
    "workflow/search_terms.py",
)
# Python code calling _() or N_(): pybabel's Python extractor does not look inside f-strings
# before Python 3.12, so those calls are collected here.
CALL_SOURCES = ("web/**/*.py",)


@dataclass
class Collected:
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    dynamic: list[tuple[str, str]] = field(default_factory=list)  # (file, f-string source)

    def add(self, title: str, texts: Iterable[Any]) -> None:
        self.sections.append((title, [t for t in texts if isinstance(t, str) and CJK.search(t)]))


def collect() -> Collected:
    from store.people import LABELS as ORG_FIELD_LABELS
    from store.sweep import LABELS as SWEEP_LABELS
    from web.dashboard import pictures
    from web.problems import TITLES
    from workflow.guards import GUARDS
    from workflow.identity import sex
    from workflow.labour import AGE_LABEL
    from workflow.lists.columns import BY_FIELD, FACT_FIELDS
    from workflow.machines import WORKFLOWS
    from workflow.roles import ROLE_LABELS
    from workflow.rules.facts import FACT_LABELS
    from workflow.rules.figures import BUREAU_MARK, FIGURES
    from workflow.states import (
        BATCH_LABELS,
        CAPACITY_LABELS,
        DESTINATION_LABELS,
        ORG_KIND_LABELS,
        PAYOUT_LINE_LABELS,
        RENEWAL_LABELS,
        STATE_LABELS,
        SUBSIDY_LABELS,
        TARGET_GROUP_LABELS,
    )

    out = Collected()
    for name, table in (
        ("STATE_LABELS", STATE_LABELS),
        ("SUBSIDY_LABELS", SUBSIDY_LABELS),
        ("TARGET_GROUP_LABELS", TARGET_GROUP_LABELS),
        ("ORG_KIND_LABELS", ORG_KIND_LABELS),
        ("DESTINATION_LABELS", DESTINATION_LABELS),
        ("RENEWAL_LABELS", RENEWAL_LABELS),
        ("BATCH_LABELS", BATCH_LABELS),
        ("PAYOUT_LINE_LABELS", PAYOUT_LINE_LABELS),
    ):
        out.add(f"workflow.states.{name}", table.values())
    out.add("workflow.roles.ROLE_LABELS", ROLE_LABELS.values())
    out.add("workflow.rules.facts.FACT_LABELS", FACT_LABELS.values())
    out.add(
        "workflow.identity.sex: shown after a person's name", [sex("0" * 16 + digit + "0") for digit in "12"]
    )
    out.add("workflow.labour.AGE_LABEL: the working-age range (16–60周岁)", [AGE_LABEL])
    out.add(
        "workflow.rules.figures.FIGURES: each policy figure's label, unit, explanation and "
        "how the plan states it (admin policy page, claim page)",
        [text for f in FIGURES for text in (f.label, f.unit, f.explanation, f.plan_text)],
    )
    out.add("workflow.rules.figures.BUREAU_MARK: a figure the plan leaves to the bureau", [BUREAU_MARK])
    from workflow.rules.limits import LIMITED_FACTS

    out.add(
        "workflow.rules.limits.LIMITED_FACTS: the facts a policy year bounds, and their units",
        [text for pair in LIMITED_FACTS.values() for text in pair],
    )
    out.add(
        "store.people.org_checks.LABELS: fields in an organisation's change history",
        ORG_FIELD_LABELS.values(),
    )
    for wf in WORKFLOWS.values():
        out.add(
            f"workflow.machines.{wf.name.upper()}: the workflow and its steps",
            [wf.label, *(s.label for s in (*wf.creation, *wf.steps))],
        )
        out.add(
            f"workflow.machines.{wf.name.upper()}.waits: what a case waits for (search results)",
            [w.waiting_for for w in wf.waits.values()],
        )
    for name, value in sorted(template_globals().items()):
        if isinstance(value, dict) and name.endswith("_labels"):
            out.add(f"template global {name} (web.app)", value.values())
    out.add("web.problems.TITLES (the error page)", TITLES.values())
    out.add("web.dashboard.pictures.OVERDUE_STEPS", pictures.OVERDUE_STEPS.values())
    out.add("web.dashboard.pictures.CAPACITY_LABELS", CAPACITY_LABELS.values())
    out.add("workflow.guards.GUARDS: why a step is refused", (g.message for g in GUARDS.values()))
    out.add(
        "workflow.lists.columns: how each fact is filled in (the agents' correction form)",
        (BY_FIELD[name].help for name in FACT_FIELDS),
    )
    out.add("store.sweep.chunks.LABELS: what a sweep run did (admin settings)", SWEEP_LABELS.values())
    fixed: list[str] = []
    for path in files(ERROR_SOURCES):
        for message in error_messages(path, error_classes()):
            if isinstance(message, str):
                fixed.append(message)
            else:
                out.dynamic.append((relative(path), message.source))
    out.add("fixed messages of domain errors raised by " + ", ".join(ERROR_SOURCES), fixed)
    out.add(
        "_() and N_() inside f-strings in " + ", ".join(CALL_SOURCES),
        (text for path in files(CALL_SOURCES) if path != LABELS for text in calls_in_fstrings(path)),
    )
    return out


def template_globals() -> dict[str, Any]:
    """The globals ``web.app`` gives every template (role_labels, capacity_labels, ...)."""
    from jinja2 import Environment

    from web.app import jinja_setup

    env = Environment()
    jinja_setup(SimpleNamespace(engine=env))  # type: ignore[arg-type]
    return dict(env.globals)


def error_classes() -> set[str]:
    import web.app  # noqa: F401  (imports every module that defines an error class)
    from workflow.errors import DomainError

    names, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


@dataclass(frozen=True)
class Dynamic:
    source: str


def error_messages(path: Path, classes: set[str]) -> Iterator[str | Dynamic]:
    """The message argument (second, or ``message=``) of every call to a domain error class."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.id
            if isinstance(node.func, ast.Name)
            else (node.func.attr if isinstance(node.func, ast.Attribute) else "")
        )
        if name not in classes:
            continue
        arg = next(
            (k.value for k in node.keywords if k.arg == "message"),
            node.args[1] if len(node.args) > 1 else None,
        )
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            yield arg.value
        elif isinstance(arg, ast.JoinedStr) and CJK.search(ast.unparse(arg)):
            yield Dynamic(ast.unparse(arg))


def calls_in_fstrings(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id in ("_", "N_")
                    and call.args
                    and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)
                ):
                    yield call.args[0].value


def files(patterns: Iterable[str]) -> list[Path]:
    return sorted({p for pattern in patterns for p in ROOT.glob(pattern)})


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def render(collected: Collected | None = None) -> str:
    collected = collected or collect()
    lines = [
        '"""Texts the pages show that live in data rather than in templates, marked for the',
        "message catalogue. Generated by ``python -m web.locale.collect`` (``make i18n``): do not",
        "edit by hand. Why this is one module however long it grows: it is one generated list,",
        'read by pybabel, never by a person."""',
        "# ruff: noqa: E501",
        "",
        "from __future__ import annotations",
        "",
        "from web.i18n import N_",
        "",
        "LABELS = (",
    ]
    seen: set[str] = set()
    for title, texts in collected.sections:
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if not new:
            continue
        lines.append(f"    # {title}")
        lines.extend(f"    N_({json.dumps(t, ensure_ascii=False)})," for t in new)
        seen.update(new)
    lines.append(")")
    if collected.dynamic:
        lines += ["", "# Built at run time, so not in the catalogue (they stay Chinese):"]
        lines += [f"# {file}: {source}" for file, source in dict.fromkeys(collected.dynamic)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not LABELS.exists() or LABELS.read_text(encoding="utf-8") != text:
            print(f"{relative(LABELS)} is out of date: run make i18n", file=sys.stderr)
            return 1
        return 0
    LABELS.write_text(text, encoding="utf-8")
    count = sum(line.startswith("    N_(") for line in text.splitlines())
    print(f"wrote {relative(LABELS)}: {count} texts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
