"""Sensitive fields at rest: AES-GCM encryption, a keyed hash for look-ups, and masking for display.

One master key (TRAINING_DATA_KEY, base64 of 32 bytes; the embedded default generates one under the
data dir) is split with HKDF into an encryption key and a look-up key, so the hash that finds a person
by ID number cannot be reversed without the key and says nothing across deployments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


def load_master_key(data_dir: Path) -> bytes:
    if raw := os.environ.get("TRAINING_DATA_KEY"):
        key = base64.b64decode(raw)
        if len(key) != 32:
            raise ValueError("TRAINING_DATA_KEY must be base64 of 32 bytes")
        return key
    path = data_dir / "data_key"
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode())
    return key


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"training/" + purpose).derive(master)


class Vault:
    """Encrypts, decrypts and hashes the sensitive values of one deployment."""

    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(_derive(master_key, b"encrypt"))
        self._lookup_key = _derive(master_key, b"lookup")

    def encrypt(self, plain: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, plain.encode(), None)

    def decrypt(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], None).decode()

    def lookup_hash(self, plain: str) -> bytes:
        return hmac.new(self._lookup_key, plain.encode(), hashlib.sha256).digest()


def mask(value: str | None) -> str | None:
    """First 3 and last 4 characters, the rest as asterisks: 513***********123X, 138****5678."""
    if value is None:
        return None
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
