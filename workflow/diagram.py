"""Mermaid state diagrams generated from the workflow tables (never drawn by hand)."""

from __future__ import annotations

from .machines import WORKFLOWS, Workflow
from .roles import ROLE_LABELS


def mermaid(wf: Workflow) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial}"]
    if wf.creation:  # who opens a case (a comment: Mermaid labels no start arrow)
        filers = ", ".join(s.role.value for s in wf.creation)
        lines.append(f"    %% {wf.creation[0].trigger} by {filers}")
    for step in wf.steps:
        for source in step.source:
            dest = step.dest or source
            guards = f" [{', '.join(step.guards)}]" if step.guards else ""
            lines.append(f"    {source} --> {dest}: {step.trigger} ({step.role.value}){guards}")
    lines.extend(f"    {state} --> [*]" for state in sorted(wf.terminal))
    return "\n".join(lines) + "\n"


def all_diagrams() -> str:
    parts = []
    for wf in WORKFLOWS.values():
        parts.append(f"## {wf.name} ({wf.label})\n\n```mermaid\n{mermaid(wf)}```\n")
    return "\n".join(parts)


def dot(wf: Workflow, state_labels: dict[str, str] | None = None) -> str:
    """Graphviz source of the same table, with the Chinese state names, for a rendered picture."""
    names = state_labels or {}

    def quoted(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'

    lines = [
        f"digraph {wf.name} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
        'fontname="Noto Sans CJK SC", fontsize=11];',
        '  edge [fontname="Noto Sans CJK SC", fontsize=9, color="#616e7c"];',
        '  start [shape=circle, label="", width=0.2, fillcolor="#1f2933"];',
        f"  start -> {wf.initial}" + (f" [label={quoted(_opened_by(wf))}]" if wf.creation else "") + ";",
    ]
    for state in wf.states:
        fill = "#e3f9e5" if state in wf.terminal else "#ffffff"
        lines.append(f'  {state} [label={quoted(names.get(state, state))}, fillcolor="{fill}"];')
    for step in wf.steps:
        for source in step.source:
            dest = step.dest or source
            label = f"{step.label}\n（{ROLE_LABELS[step.role]}）"
            lines.append(f"  {source} -> {dest} [label={quoted(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _opened_by(wf: Workflow) -> str:
    roles = "、".join(ROLE_LABELS[s.role] for s in wf.creation)
    return f"{wf.creation[0].label}\n（{roles}）"
