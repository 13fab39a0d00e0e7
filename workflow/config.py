"""Settings from the environment: where the database lives and the installation's secret."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


def data_dir() -> Path:
    path = Path(os.environ.get("FUZHI_DATA_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """``DATABASE_URL`` selects the database everywhere; an embedded SQLite file by default."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'fuzhi.db'}"


def master_secret() -> bytes:
    """``FUZHI_SECRET_KEY``, or a random secret made once and kept beside the database."""
    if env := os.environ.get("FUZHI_SECRET_KEY"):
        return env.encode()
    path = data_dir() / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: bytes
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=database_url(),
            secret=master_secret(),
            host=os.environ.get("FUZHI_HOST", "127.0.0.1"),
            port=int(os.environ.get("FUZHI_PORT", "8000")),
        )
