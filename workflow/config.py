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


@dataclass(frozen=True)
class SmtpSettings:
    """Where notices are e-mailed: ``FUZHI_SMTP_HOST`` (unset: no e-mail), ``FUZHI_SMTP_PORT``
    (25), ``FUZHI_SMTP_FROM``, ``FUZHI_SMTP_USER`` / ``FUZHI_SMTP_PASSWORD`` (optional),
    ``FUZHI_SMTP_STARTTLS=1`` to upgrade the connection before signing in."""

    host: str
    port: int = 25
    sender: str = "fuzhi@localhost"
    user: str = ""
    password: str = ""
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("FUZHI_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("FUZHI_SMTP_PORT", "25")),
            sender=os.environ.get("FUZHI_SMTP_FROM", "fuzhi@localhost"),
            user=os.environ.get("FUZHI_SMTP_USER", ""),
            password=os.environ.get("FUZHI_SMTP_PASSWORD", ""),
            starttls=os.environ.get("FUZHI_SMTP_STARTTLS") == "1",
        )


def sweep_minutes() -> float:
    """How often the server runs the sweep (``FUZHI_SWEEP_MINUTES``, default 5; 0 turns it off)."""
    return float(os.environ.get("FUZHI_SWEEP_MINUTES", "5"))


def base_url() -> str:
    """The address people reach this installation at (``FUZHI_BASE_URL``, e.g.
    ``https://fuzhi.example.gov.cn``): links in e-mailed notices are made absolute with it."""
    return os.environ.get("FUZHI_BASE_URL", "").rstrip("/")
