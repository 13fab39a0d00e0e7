"""An agent API client on a real database: the app under Litestar's test client, a token each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from litestar.testing import TestClient

from store.access.users import create_token
from store.db import Database
from store.models import User
from web.app import create_app

from .builders import County, county


@dataclass
class Api:
    client: TestClient
    county: County
    token: str
    other_token: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def get(self, path: str, token: str | None = None, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers={**self.auth(token), **kw.pop("headers", {})}, **kw)

    def post(self, path: str, token: str | None = None, **kw):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers={**self.auth(token), **kw.pop("headers", {})}, **kw)


@contextmanager
def api_client(db: Database, files: Path) -> Iterator[Api]:
    c = county(db)
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, c.agent.user_id))
        other = create_token(s, db, s.get(User, c.other_agent.user_id))
    with TestClient(create_app(db, files=files)) as client:
        yield Api(client, c, token, other)
