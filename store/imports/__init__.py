"""The admin's imports of places and persons: a file checked (a dry run) and loaded, the runs
and their result files.

This face (``__all__``) is what the rest of the application may use; the modules behind it
are the area's own. Names load on first use (see ``store.faces``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..faces import exports

if TYPE_CHECKING:
    from .outcomes import ImportReport, ImportRow
    from .runs import (
        import_kind,
        import_report,
        import_result,
        kinds_for,
        load_import,
        recent_imports,
        template_for,
        upload_import,
    )

__all__ = [
    "ImportReport",
    "ImportRow",
    "import_kind",
    "import_report",
    "import_result",
    "kinds_for",
    "load_import",
    "recent_imports",
    "template_for",
    "upload_import",
]
__getattr__ = exports(
    __name__,
    {
        "ImportReport": "outcomes",
        "ImportRow": "outcomes",
        "import_kind": "runs",
        "import_report": "runs",
        "import_result": "runs",
        "kinds_for": "runs",
        "load_import": "runs",
        "recent_imports": "runs",
        "template_for": "runs",
        "upload_import": "runs",
    },
)
