"""The machine diagrams drawn as SVG by Graphviz from the workflow tables (cached per process)."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

from workflow.diagram import dot
from workflow.machines import WORKFLOWS
from workflow.states import STATE_LABELS


@lru_cache(maxsize=4)
def svg(workflow: str) -> str | None:
    """The diagram as inline SVG, or None where Graphviz is not installed (the page then shows
    the Mermaid source and the table, which carry the same facts)."""
    if shutil.which("dot") is None:
        return None
    done = subprocess.run(
        ["dot", "-Tsvg"],
        input=dot(WORKFLOWS[workflow], STATE_LABELS),
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    if done.returncode != 0:
        return None
    # Keep the <svg> element only: the XML prolog and DOCTYPE do not belong inside HTML.
    return done.stdout[done.stdout.find("<svg") :]
