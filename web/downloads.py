"""File responses for pages and the API: a download or a file shown in the browser, named in UTF-8."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from litestar import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
# A browser takes the file for what media_type says, never for what its bytes look like.
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def file_response(
    content: bytes,
    filename: str,
    media_type: str,
    *,
    inline: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response[bytes]:
    """The file as an attachment (saved) or inline (a PDF or picture opens in the browser), its
    name percent-encoded as RFC 6266 asks so that Chinese names survive; `headers` added as given."""
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
            **(headers or {}),
        },
    )
