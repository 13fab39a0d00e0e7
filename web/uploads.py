"""The file a posted form's picker sent (pages and the agents' portal), or None when none was chosen."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile


def chosen_file(data: dict[str, Any], key: str = "file") -> UploadFile | None:
    """The file sent under ``key`` with a name (a picker left empty sends none). A form with two
    pickers of one name (the camera's and the gallery's) sends a list: the one that was used."""
    sent = data.get(key)
    return next(
        (f for f in (sent if isinstance(sent, list) else [sent]) if isinstance(f, UploadFile) and f.filename),
        None,
    )
