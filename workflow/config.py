"""Settings from the environment: where the database lives and the installation's master secret
(kept outside the data directory, see :func:`secret_file`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .pii import KeyProblem


def data_dir() -> Path:
    """The database file and kept files: a directory only the service user can enter."""
    path = Path(os.environ.get("FUZHI_DATA_DIR", "var")).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_mode & 0o077 and st.st_uid == os.getuid():
        path.chmod(0o700)
    return path


def database_url() -> str:
    """``DATABASE_URL`` selects the database everywhere; an embedded SQLite file by default."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir() / 'fuzhi.db'}"


MISSING_KEY = (
    "找不到主密钥（master key），未启动。服务和命令不会自行生成新密钥：用另一把密钥，已加密的身份证号"
    "和银行账号将无法读取、查重失效。请把本数据库的主密钥文件放到 {path}（或用 FUZHI_SECRET_FILE "
    "指明位置，或设置 FUZHI_SECRET_KEY）；新装的空数据库由 fuzhi setup 或 fuzhi demo 生成密钥。"
    "见 README“The master key”。 / No master key found; nothing was started. No server or "
    "command makes a new key of its own: under another key the encrypted ID and bank numbers "
    "could not be read and duplicate checks would stop matching. Put this database's key file at "
    "{path} (or point FUZHI_SECRET_FILE at it, or set FUZHI_SECRET_KEY); on a new, empty "
    'database `fuzhi setup` or `fuzhi demo` makes one. See the README, "The master key".'
)


def secret_file() -> Path:
    """Where the master secret lives: ``FUZHI_SECRET_FILE``, else ``/etc/fuzhi/master.key`` for
    root and ``$XDG_CONFIG_HOME/fuzhi/master.key`` (``~/.config``) for anyone else — never in the
    data directory, so a backup of the database does not carry the key that opens it."""
    if env := os.environ.get("FUZHI_SECRET_FILE"):
        return Path(env).expanduser().resolve()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/etc/fuzhi/master.key")
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "fuzhi" / "master.key"


def read_ring(path: Path) -> list[bytes]:
    """The key file's secrets, current first (a second line only while a rotation runs)."""
    return [line.strip().encode() for line in path.read_text().splitlines() if line.strip()]


def write_ring(path: Path, ring: list[bytes]) -> None:
    """Replace the key file at once (write aside, then rename), readable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    aside = path.with_name(path.name + ".new")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("".join(s.decode() + "\n" for s in ring))
        out.flush()
        os.fsync(out.fileno())
    os.chmod(aside, 0o600)
    os.replace(aside, path)


def _adopt_legacy_key(path: Path) -> None:
    """A key file left beside the database by an older version moves to its own place."""
    legacy = Path(os.environ.get("FUZHI_DATA_DIR", "var")).resolve() / "secret.key"
    if legacy.exists() and not path.exists():
        write_ring(path, read_ring(legacy))
        legacy.unlink()
        print(f"主密钥已从数据目录移到 {path} / master key moved out of the data directory to {path}")


def master_ring() -> list[bytes] | None:
    """``FUZHI_SECRET_KEY``, or the key file's ring; None when there is no key at all."""
    if env := os.environ.get("FUZHI_SECRET_KEY"):
        return [env.encode()]
    path = secret_file()
    _adopt_legacy_key(path)
    return read_ring(path) if path.exists() else None


def master_secret() -> bytes:
    """The current master secret, or :class:`KeyProblem` naming where it is looked for.
    Never generated here: only :func:`create_master_secret`, at setup, makes one."""
    ring = master_ring()
    if not ring:
        raise KeyProblem("key.missing", MISSING_KEY.format(path=secret_file()))
    return ring[0]


def create_master_secret() -> Path | None:
    """Make the installation's master secret (setup on an empty database only): a file
    readable by its owner only, in a directory only its owner can enter. None when one is set."""
    if master_ring():
        return None
    path = secret_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    return path


def key_ring_reader() -> Callable[[], list[bytes] | None] | None:
    """What a vault calls to follow the key file during a rotation: the ring when the file
    changed since the last call, else None. None when the key comes from the environment."""
    if os.environ.get("FUZHI_SECRET_KEY"):
        return None
    path = secret_file()
    seen = [_stamp(path)]

    def reread() -> list[bytes] | None:
        stamp = _stamp(path)
        if stamp == seen[0] or stamp is None:
            return None
        seen[0] = stamp
        return read_ring(path) or None

    return reread


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: bytes | list[bytes]  # one master secret, or the ring (current first)
    host: str = "127.0.0.1"
    port: int = 8000

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=database_url(),
            secret=_ring_or_missing(),
            host=os.environ.get("FUZHI_HOST", "127.0.0.1"),
            port=int(os.environ.get("FUZHI_PORT", "8000")),
        )


def _ring_or_missing() -> list[bytes]:
    master_secret()  # the message when there is none
    return master_ring() or []


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
