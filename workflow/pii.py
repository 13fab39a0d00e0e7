"""Personal data at rest: ID and bank numbers are encrypted, with keyed hashes to find them.

One master secret, kept away from the database (``workflow.config``), gives every key by HKDF
with its own label, so no key serves two purposes:

* ``fuzhi/encrypt``: Fernet (AES-128-CBC + HMAC) for ID numbers, bank accounts, pending files;
* ``fuzhi/lookup``: the keyed hash that finds a person by ID number (duplicates) and the digests
  of requests and payout lines;
* ``fuzhi/id-tail``: the keyed hash of an ID number's last four digits (search by them; the
  digits themselves are kept nowhere in plain text);
* ``fuzhi/csrf``: the secret the web forms' CSRF tokens are signed with;
* ``fuzhi/key-check``: the check value stored with the data (``store.keys``), so a server
  given a wrong key or none refuses to start instead of hashing past every person.

A **key ring** holds the current secret first and, while ``fuzhi keys rotate`` runs, the one
before it: decryption tries each, look-ups by hash try the digest under each, and new data is
written under the first. A ring read from a file is read again when the file changes (at most
once a second), so running servers follow a rotation without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHECK_TEXT = "fuzhi-key-check"
RELOAD_SECONDS = 1.0  # how stale a server's ring may be after the key file changes


class KeyProblem(Exception):
    """The installation's key is missing, wrong or unreadable: the server must not run."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class KeySet:
    """The keys one master secret gives, and the id that names it (never the secret)."""

    fernet: Fernet
    lookup: bytes
    tail: bytes
    csrf: bytes
    key_id: str
    check_mac: str

    @classmethod
    def from_secret(cls, secret: bytes) -> KeySet:
        if len(secret) < 16:
            raise ValueError("master secret too short")
        lookup = _derive(secret, b"fuzhi/lookup")
        check = hmac.new(_derive(secret, b"fuzhi/key-check"), CHECK_TEXT.encode(), hashlib.sha256)
        return cls(
            fernet=Fernet(_b64(_derive(secret, b"fuzhi/encrypt"))),
            lookup=lookup,
            tail=_derive(secret, b"fuzhi/id-tail"),
            csrf=_derive(secret, b"fuzhi/csrf"),
            key_id=check.hexdigest()[:16],
            check_mac=hmac.new(lookup, CHECK_TEXT.encode(), hashlib.sha256).hexdigest(),
        )


class Vault:
    """Encrypts sensitive numbers and hashes them for look-ups, with a ring of keys.

    ``secrets``: one master secret, or the ring (current first). ``reload``: where the ring is
    read again from (``workflow.config.key_ring_reader``); None keeps it fixed.
    """

    def __init__(
        self,
        secrets: bytes | Sequence[bytes],
        reload: Callable[[], Sequence[bytes] | None] | None = None,
    ) -> None:
        self._reload = reload
        self._checked = time.monotonic()
        self._set_ring([secrets] if isinstance(secrets, bytes) else list(secrets))

    def _set_ring(self, secrets: list[bytes]) -> None:
        if not secrets:
            raise ValueError("empty key ring")
        ring = tuple(KeySet.from_secret(s) for s in secrets)
        # One assignment: a thread reading while another reloads sees the old pair or the new.
        self._keys = (ring, MultiFernet([k.fernet for k in ring]))

    def _fresh(self) -> tuple[KeySet, ...]:
        if self._reload is not None and time.monotonic() - self._checked >= RELOAD_SECONDS:
            self._checked = time.monotonic()
            if (changed := self._reload()) is not None:
                self._set_ring(list(changed))
        return self._keys[0]

    @property
    def ring(self) -> tuple[KeySet, ...]:
        return self._fresh()

    @property
    def current(self) -> KeySet:
        return self._fresh()[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.key_id for k in self._fresh())

    def encrypt(self, plain: str) -> str:
        return self.current.fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        self._fresh()
        return self._keys[1].decrypt(token.encode()).decode()

    def can_decrypt(self, token: str, key_id: str) -> bool:
        """Whether the key named ``key_id`` in the ring opens ``token`` (the check value)."""
        for k in self._fresh():
            if k.key_id == key_id:
                try:
                    return k.fernet.decrypt(token.encode()).decode() == CHECK_TEXT
                except InvalidToken:
                    return False
        return False

    def digest(self, plain: str) -> str:
        """The keyed hash under the current key: what new rows store."""
        return _mac(self.current.lookup, plain)

    def digests(self, plain: str) -> tuple[str, ...]:
        """The keyed hash under every key of the ring: what a look-up must match while a
        rotation is under way (rows not yet re-hashed still hold the older one)."""
        return tuple(dict.fromkeys(_mac(k.lookup, plain) for k in self._fresh()))

    def tail_digest(self, last4: str) -> str:
        """The keyed hash of an ID number's last four digits, under the current key."""
        return _mac(self.current.tail, last4.upper())

    def tail_digests(self, last4: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_mac(k.tail, last4.upper()) for k in self._fresh()))

    def tail(self, id_number_enc: str) -> str:
        """The last four characters of an encrypted ID number (the shown tail)."""
        return self.decrypt(id_number_enc)[-4:]

    def csrf_secret(self) -> str:
        return self.current.csrf.hex()


def _mac(key: bytes, plain: str) -> str:
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()


def _b64(raw: bytes) -> bytes:
    import base64

    return base64.urlsafe_b64encode(raw)


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
