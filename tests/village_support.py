"""A staff browser for the village-officer tests: a test client on its own files root that posts
a page's form with the tokens that form carries (CSRF and the one-time token), the phones a
test opens (closed after it), and pictures."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from PIL import Image

from store.db import Database
from web.app import create_app

from .page_support import PASSWORD

FORM = re.compile(r'<form method="post" action="([^"]+)".*?</form>', re.S)
FIELD = re.compile(r'name="(_csrf_token|_once|version)" value="([^"]*)"')


def form_tokens(html: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF, one-time token, version) of the page's form posting to ``action``."""
    for match in FORM.finditer(html):
        if match.group(1) == action:
            return dict(FIELD.findall(match.group(0)))
    raise AssertionError(f"no form posting to {action}")


class Phone:
    def __init__(self, db: Database, files: Path) -> None:
        self.client = TestClient(create_app(db, files=files, secure_cookies=False))
        self.client.__enter__()
        self.client.headers["accept"] = "text/html,application/xhtml+xml"  # as a browser sends it

    def close(self) -> None:
        self.client.__exit__(None, None, None)

    def sign_in(self, username: str) -> Phone:
        r = self.post_form("/login", "/login", {"username": username, "password": PASSWORD})
        assert r.status_code == 303, r.text
        return self

    def get(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def tokens(self, page: str, action: str) -> dict[str, str]:
        return form_tokens(self.client.get(page).text, action)

    def post(self, action: str, fields: dict[str, Any], tokens: dict[str, str], **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.post(action, data={**tokens, **fields}, follow_redirects=False, **kw)

    def post_form(self, page: str, action: str, fields: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
        """Open the page, then post its form with the tokens it carries."""
        return self.post(action, fields, self.tokens(page, action), **kw)


@contextmanager
def phones(db: Database, files: Path) -> Iterator[Callable[[str], Phone]]:
    """``open_as(username)``: a phone signed in as that user; every one closed at the end."""
    made: list[Phone] = []

    def open_as(username: str) -> Phone:
        p = Phone(db, files).sign_in(username)
        made.append(p)
        return p

    try:
        yield open_as
    finally:
        for p in made:
            p.close()


def photo(width: int = 4000, height: int = 3000, quality: int = 92, seed: int = 1) -> bytes:
    """A camera-like JPEG: a smooth scene (colour noise at 1/100 scale, blown up) under fine
    texture (noise at 1/4 scale): a 4000×3000 one is some 2.6 MB at quality 92, as a phone's."""
    import random

    from PIL import Image

    rnd = random.Random(seed)

    def noise(w: int, h: int) -> Image.Image:
        im = Image.new("RGB", (max(1, w), max(1, h)))
        im.putdata(
            [
                (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
                for _ in range(im.width * im.height)
            ]
        )
        return im.resize((width, height), Image.Resampling.BICUBIC)

    picture = Image.blend(noise(width // 100, height // 100), noise(width // 4, height // 4), 0.15)
    out = BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()
