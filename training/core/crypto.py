"""Sensitive fields at rest: AES-GCM encryption, a keyed hash for look-ups, and masking for display.

A data key (base64 of 32 bytes) is split with HKDF into an encryption key and a look-up key, so the hash
that finds a person by ID number cannot be reversed without the key and says nothing across deployments.

Every stored value names the key that made it, so the key can be changed (`training keys new`, then
`training keys rotate` re-encrypts and re-hashes the rows in batches):

    ciphertext   01 | key id (4) | nonce (12) | AES-GCM(value, aad = the first 5 bytes)
    look-up hash 01 | key id (4) | HMAC-SHA256(look-up key, value)
    (the audit log's hash chain is an HMAC under a third derived key; its head names the key id)
    legacy       00 | the value as written before key ids (migration 0008 marked them; any key may fit)

The key id is derived from the key itself (HKDF, 4 bytes, shown as 8 hex digits): it identifies a key
without revealing it, and a wrong key can never be mistaken for the right one.

The keyring: the current key is TRAINING_DATA_KEY, else `<data dir>/data_key` (created on first use);
older keys, still read but never written with, are `<data dir>/data_keys/<key id>.key` and
TRAINING_DATA_KEYS_OLD (base64 keys separated by commas or spaces). A vault built with
`Vault.from_data_dir` re-reads the data dir's files when they change (looked at most once a second, and at
once when a value names a key it does not hold), so every service process sharing the data dir picks up
`training keys new` by itself; keys given in the environment are read at start only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from training.core.errors import Problem

log = logging.getLogger("training.crypto")

_NONCE = 12
KEYED = 0x01
LEGACY = 0x00
ID_SIZE = 4
PREFIX_SIZE = 1 + ID_SIZE
LEGACY_LABEL = "legacy"
CURRENT_ENV = "TRAINING_DATA_KEY"
OLD_ENV = "TRAINING_DATA_KEYS_OLD"
KEY_FILE = "data_key"
OLD_KEYS_DIR = "data_keys"
RELOAD_SECONDS = 1.0


class KeyringError(ValueError):
    """The keyring cannot be read as configured (the message names the variable or file, never a key)."""


class DataKeyMissing(Problem):
    """A stored value needs a data key this process does not hold, or the key does not open it."""

    status = 503
    title = "数据密钥缺失"


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"training/" + purpose).derive(master)


@dataclass(frozen=True, eq=False)
class DataKey:
    """One data key with its derived keys; `label` (8 hex digits) is safe to print and log."""

    id: bytes
    aead: AESGCM = field(repr=False)
    lookup_key: bytes = field(repr=False)
    master: bytes = field(repr=False)
    chain_key: bytes = field(repr=False)  # the audit log's hash chain is an HMAC under this (training.audit)

    @classmethod
    def of(cls, master: bytes) -> DataKey:
        return cls(id=_derive(master, b"key-id")[:ID_SIZE], aead=AESGCM(_derive(master, b"encrypt")),
                   lookup_key=_derive(master, b"lookup"), master=master, chain_key=_derive(master, b"audit-chain"))

    @property
    def label(self) -> str:
        return self.id.hex()

    @property
    def prefix(self) -> bytes:
        return bytes([KEYED]) + self.id

    def hmac(self, plain: str) -> bytes:
        return hmac.digest(self.lookup_key, plain.encode(), hashlib.sha256)  # the one-shot C path


@dataclass(frozen=True)
class Keyring:
    """The current key (written with) and every key still read; `sources` says where each came from."""

    current: DataKey
    keys: dict[bytes, DataKey]
    sources: dict[str, str]

    @property
    def old(self) -> list[DataKey]:
        return [k for k in self.keys.values() if k.id != self.current.id]


def decode_key(text: str, where: str) -> bytes:
    """A key from base64 text; the error names `where` (a variable or file), never the text."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where} 不是有效的 base64（应为 32 字节数据密钥的 base64）") from None
    if len(key) != 32:
        raise KeyringError(f"{where} 应为 32 字节数据密钥的 base64，实际为 {len(key)} 字节")
    return key


def generate_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _write_private(path: Path, text: str) -> None:
    """Write a key file readable by its owner only, atomically (a reader sees the old or the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_keyring(data_dir: Path, *, create: bool = True) -> Keyring:
    """The keyring as configured (see the module doc). Without any current key, one is made under the
    data dir when `create` (a fresh install), else it is an error."""
    sources: dict[str, str] = {}
    key_file = data_dir / KEY_FILE
    if raw := os.environ.get(CURRENT_ENV):
        current = DataKey.of(decode_key(raw, CURRENT_ENV))
        sources[current.label] = CURRENT_ENV
    elif key_file.exists():
        current = DataKey.of(decode_key(key_file.read_text(), str(key_file)))
        sources[current.label] = str(key_file)
    elif create:
        text = generate_key()
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileNotFoundError:
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_keyring(data_dir, create=False)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        current = DataKey.of(decode_key(text, str(key_file)))
        sources[current.label] = str(key_file)
        log.info("created data key %s in the data dir", current.label)
    else:
        raise KeyringError(f"没有数据密钥：请设置 {CURRENT_ENV}，或把密钥文件放在 {key_file}")
    keys = {current.id: current}
    old: list[tuple[bytes, str]] = []
    folder = data_dir / OLD_KEYS_DIR
    if folder.is_dir():
        old += [(decode_key(p.read_text(), str(p)), str(p)) for p in sorted(folder.glob("*.key"))]
    for i, text in enumerate((os.environ.get(OLD_ENV) or "").replace(",", " ").split()):
        old.append((decode_key(text, f"{OLD_ENV} 的第 {i + 1} 个密钥"), OLD_ENV))
    for master, where in old:
        key = DataKey.of(master)
        keys.setdefault(key.id, key)
        sources.setdefault(key.label, where)
    return Keyring(current=current, keys=keys, sources=sources)


def _files_signature(data_dir: Path) -> tuple[tuple[str, int], ...]:
    """What the data dir's key files look like now (names and modification times), to notice a change."""
    paths = [data_dir / KEY_FILE]
    folder = data_dir / OLD_KEYS_DIR
    if folder.is_dir():
        paths += sorted(folder.glob("*.key"))
    found: list[tuple[str, int]] = []
    for path in paths:
        try:
            found.append((path.name, path.stat().st_mtime_ns))
        except FileNotFoundError:
            continue
    return tuple(found)


def add_new_key(data_dir: Path) -> tuple[DataKey, DataKey]:
    """`training keys new` for a data dir keyring: keep the current key as an old one (data_keys/), then
    make a new current key. Returns (old, new). Keys given in the environment are the operator's to change."""
    if os.environ.get(CURRENT_ENV):
        raise KeyringError(
            f"当前数据密钥由环境变量 {CURRENT_ENV} 提供，不能在数据目录中更换：请用 `training keys generate` "
            f"生成新密钥，把旧值加入 {OLD_ENV}，把新值设为 {CURRENT_ENV}，重启所有服务进程后运行 `training keys rotate`")
    ring = load_keyring(data_dir, create=False)
    _write_private(data_dir / OLD_KEYS_DIR / f"{ring.current.label}.key", base64.b64encode(ring.current.master).decode())
    text = generate_key()
    _write_private(data_dir / KEY_FILE, text)
    new = DataKey.of(decode_key(text, KEY_FILE))
    log.info("data key %s is now current; %s is kept for reading", new.label, ring.current.label)
    return ring.current, new


def remove_old_key(data_dir: Path, label: str) -> Path | None:
    """Delete an old key's file from data_keys/ (the caller has checked that no value uses it)."""
    path = data_dir / OLD_KEYS_DIR / f"{label}.key"
    if not path.exists():
        return None
    path.unlink()
    log.info("data key %s retired", label)
    return path


class LookupHash(bytes):
    """A look-up hash under the current key that also knows the same value's hash under every other key
    of the keyring (`candidates`, current first), so a search finds rows not yet rotated."""

    candidates: tuple[bytes, ...]

    def __new__(cls, current: bytes, others: Iterable[bytes]) -> LookupHash:
        made = super().__new__(cls, current)
        made.candidates = (bytes(current), *(o for o in others if o != current))
        return made


def lookup_candidates(value: bytes) -> tuple[bytes, ...]:
    """Every stored form a look-up hash may have (just itself for a plain hash)."""
    return value.candidates if isinstance(value, LookupHash) else (bytes(value),)


def key_label(value: bytes | None) -> str | None:
    """The key a stored value names: 8 hex digits, `legacy`, or None for no value or an unknown format."""
    if not value:
        return None
    if value[0] == KEYED and len(value) > PREFIX_SIZE:
        return value[1:PREFIX_SIZE].hex()
    if value[0] == LEGACY:
        return LEGACY_LABEL
    return None


class Vault:
    """Encrypts, decrypts and hashes the sensitive values of one deployment with its keyring."""

    def __init__(self, keyring: Keyring | bytes, *, reload: Callable[[], Keyring] | None = None,
                 watch: Callable[[], object] | None = None) -> None:
        if not isinstance(keyring, Keyring):  # one key given directly: a keyring of just that key
            key = DataKey.of(keyring)
            keyring = Keyring(current=key, keys={key.id: key}, sources={key.label: "memory"})
        self._ring = keyring
        self._reload = reload
        self._watch = watch
        self._seen = watch() if watch is not None else None
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> Vault:
        return cls(load_keyring(data_dir), reload=lambda: load_keyring(data_dir, create=False),
                   watch=lambda: _files_signature(data_dir))

    # ---------------------------------------------------------------- the keyring

    @property
    def keyring(self) -> Keyring:
        """The keyring, re-read if its files changed (looked at most once a second)."""
        if self._watch is not None and time.monotonic() - self._checked >= RELOAD_SECONDS:
            with self._lock:
                self._checked = time.monotonic()
                seen = self._watch()
                if seen != self._seen:
                    self._seen = seen
                    self._load()
        return self._ring

    def _load(self) -> bool:
        if self._reload is None:
            return False
        try:
            ring = self._reload()
        except (KeyringError, OSError) as exc:
            log.warning("data keyring not reloaded, keeping the one in use: %s", exc)
            return False
        if ring.current.id != self._ring.current.id:
            log.info("data key %s is now current (was %s)", ring.current.label, self._ring.current.label)
        self._ring = ring
        return True

    def _key(self, key_id: bytes) -> DataKey:
        if (key := self.keyring.keys.get(key_id)) is not None:
            return key
        with self._lock:  # a key made after this process started: look once more before giving up
            self._load()
        if (key := self._ring.keys.get(key_id)) is not None:
            return key
        raise DataKeyMissing(f"服务器缺少数据密钥 {key_id.hex()}，无法读取用它加密的数据；请系统管理员把该密钥放回"
                             f"数据目录的 {OLD_KEYS_DIR}/ 或 {OLD_ENV}")

    def key(self, key_id: bytes | None = None) -> DataKey:
        """The key with this id (DataKeyMissing if the keyring has none), or the current key."""
        return self.keyring.current if key_id is None else self._key(key_id)

    @property
    def current_label(self) -> str:
        return self.keyring.current.label

    @property
    def current_prefix(self) -> bytes:
        """The first bytes of every value written with the current key."""
        return self.keyring.current.prefix

    # ---------------------------------------------------------------- values

    def encrypt(self, plain: str) -> bytes:
        key = self.keyring.current
        nonce = secrets.token_bytes(_NONCE)
        return key.prefix + nonce + key.aead.encrypt(nonce, plain.encode(), key.prefix)

    def decrypt(self, blob: bytes) -> str:
        blob = bytes(blob)
        if blob[:1] == bytes([KEYED]) and len(blob) > PREFIX_SIZE + _NONCE:
            key = self._key(blob[1:PREFIX_SIZE])
            body = blob[PREFIX_SIZE:]
            try:
                return key.aead.decrypt(body[:_NONCE], body[_NONCE:], blob[:PREFIX_SIZE]).decode()
            except InvalidTag:
                raise DataKeyMissing(f"用数据密钥 {key.label} 加密的数据无法解密（数据已损坏或密钥不符）") from None
        if blob[:1] == bytes([LEGACY]):
            body = blob[1:]
            for key in self._legacy_order():
                try:
                    return key.aead.decrypt(body[:_NONCE], body[_NONCE:], None).decode()
                except InvalidTag:
                    continue
            raise DataKeyMissing(f"早期写入（无密钥编号）的数据不能用现有的任何数据密钥解密：{CURRENT_ENV} 或数据目录的 "
                                 f"{KEY_FILE} 是否换错了？请把原来的密钥放回 {OLD_KEYS_DIR}/ 或 {OLD_ENV}")
        raise DataKeyMissing("无法识别的加密数据格式")

    def _legacy_order(self) -> list[DataKey]:
        ring = self.keyring
        return [*ring.old, ring.current]  # legacy values predate the current key when there is an old one

    def lookup_hash(self, plain: str) -> LookupHash:
        """The hash to store (current key), carrying the forms under the older keys to search with."""
        ring = self.keyring
        return LookupHash(ring.current.prefix + ring.current.hmac(plain),
                          [*(k.prefix + k.hmac(plain) for k in ring.old),
                           *(bytes([LEGACY]) + k.hmac(plain) for k in ring.keys.values())])


def mask(value: str | None) -> str | None:
    """First 3 and last 4 characters, the rest as asterisks: 513***********123X, 138****5678."""
    if value is None:
        return None
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
