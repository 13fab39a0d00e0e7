"""A multipart form built byte by byte, for the forms an HTTP client will not send: a file part
without a file name, a file name with a NUL, a form without the part it needs."""

from __future__ import annotations

from collections.abc import Sequence

BOUNDARY = "fuzhi-boundary"

# (field name, file name or None for a plain field, content, the part's Content-Type or None)
Part = tuple[str, str | None, bytes, str | None]


def form(parts: Sequence[Part], boundary: str = BOUNDARY) -> tuple[bytes, dict[str, str]]:
    """The body and its Content-Type header."""
    body = b""
    for name, filename, content, content_type in parts:
        disposition = f'form-data; name="{name}"' + ("" if filename is None else f'; filename="{filename}"')
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        body += (head + "\r\n").encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"
    }
