"""Mermaid state diagrams generated from the workflow tables (never drawn by hand)."""

from __future__ import annotations

from .machines import WORKFLOWS, Workflow


def mermaid(wf: Workflow) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial}"]
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
