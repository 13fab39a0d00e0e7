"""Personal data at rest: ID and bank numbers are encrypted, with a keyed hash to find duplicates."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Vault:
    """Encrypts sensitive numbers (Fernet: AES-128-CBC + HMAC) and hashes them for look-ups.

    Both keys are derived from one master secret, so an installation keeps a single secret.
    """

    def __init__(self, master_secret: bytes) -> None:
        if len(master_secret) < 16:
            raise ValueError("master secret too short")
        enc = _derive(master_secret, b"fuzhi/encrypt")
        self._fernet = Fernet(base64.urlsafe_b64encode(enc))
        self._mac_key = _derive(master_secret, b"fuzhi/lookup")

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def digest(self, plain: str) -> str:
        return hmac.new(self._mac_key, plain.encode(), hashlib.sha256).hexdigest()


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)
