"""Changing the data key of the registry's sensitive columns (people's ID numbers and phones, households'
phones): which key each value uses, and moving every value to the current key.

Rotation runs beside the service. It walks each table by primary key in batches; a batch is one
transaction that locks its rows with SKIP LOCKED (a row the service is writing is left for the next
pass, and rotating never waits on the service, so it cannot deadlock with it), decrypts and re-encrypts
them, re-hashes the ID number and phone, and commits. Stopping at any point loses nothing: what was
committed is on the new key, the rest is still on an old key that the keyring still reads, and running
it again takes up what is left. Passes repeat until no value is on an old key, or a pass moves nothing
(rows that cannot be moved are reported, never skipped silently).

Look-ups by ID number search every key's hash (`LookupHash.candidates`), so duplicate checks hold before,
during and after a rotation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

import anyio
import asyncpg

from training.core.crypto import LEGACY, LEGACY_LABEL, PREFIX_SIZE, DataKeyMissing, Vault, lookup_candidates
from training.registry import repository as repo

Conn = repo.Conn
Progress = Callable[[str], None]
START = UUID(int=0)  # before every id

# The columns as an administrator reads them in `training keys status`.
COLUMNS = {("people", "id_enc"): "人员身份证号", ("people", "id_hash"): "身份证号查重值",
           ("people", "phone_enc"): "人员电话", ("people", "phone_hash"): "电话查重值",
           ("households", "phone_enc"): "户主电话"}


@dataclass
class KeyStatus:
    """How many values each key made, per column; `current` is the key written with."""

    current: str
    known: list[str]
    counts: dict[str, dict[str, int]]
    unreadable_format: int = 0

    def in_use(self) -> set[str]:
        return {label for label, columns in self.counts.items() if any(columns.values())}

    def on_old_keys(self) -> int:
        return sum(n for label, columns in self.counts.items() if label != self.current for n in columns.values())


@dataclass
class RotationReport:
    current: str
    people: int = 0
    households: int = 0
    passes: int = 0
    remaining: dict[str, int] = field(default_factory=dict)
    duplicates: list[UUID] = field(default_factory=list)
    unreadable: list[UUID] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return not any(self.remaining.values())


async def status(conn: Conn, vault: Vault) -> KeyStatus:
    ring = vault.keyring
    counts: dict[str, dict[str, int]] = {}
    unreadable = 0
    for row in await repo.key_counts(conn):
        prefix = bytes(row["prefix"])
        if len(prefix) == PREFIX_SIZE:
            label = prefix[1:].hex()
        elif prefix == bytes([LEGACY]):
            label = LEGACY_LABEL
        else:
            unreadable += row["count"]
            continue
        counts.setdefault(label, {})[COLUMNS[(row["tbl"], row["col"])]] = row["count"]
    return KeyStatus(current=ring.current.label, known=[k.label for k in ring.keys.values()], counts=counts,
                     unreadable_format=unreadable)


async def check_keyring(conn: Conn, vault: Vault) -> KeyStatus:
    """Refuse to run with a keyring that cannot read the stored values (a wrong or lost key): with it,
    reveals would fail and, worse, look-ups by ID number would miss and let duplicates in."""
    found = await status(conn, vault)
    missing = sorted(found.in_use() - set(found.known) - {LEGACY_LABEL})
    if missing:
        values = sum(sum(found.counts[label].values()) for label in missing)
        raise DataKeyMissing(
            f"数据库中有 {values} 个值用数据密钥 {'、'.join(missing)} 加密，但本服务的密钥环中没有这些密钥"
            f"（当前密钥 {found.current}）。TRAINING_DATA_KEY 或数据目录的 data_key 是否设错？"
            "请把缺少的密钥放回数据目录的 data_keys/ 或 TRAINING_DATA_KEYS_OLD")
    if LEGACY_LABEL in found.in_use() and (sample := await repo.legacy_ciphertext(conn)) is not None:
        vault.decrypt(sample)  # raises DataKeyMissing, naming the fix, when no key opens it
    return found


def _people_values(vault: Vault, rows: list[asyncpg.Record]) -> tuple[
        list[tuple[str, UUID, bytes, bytes, bytes | None, bytes | None]], list[UUID]]:
    """Each person's ID number and phone under the current key (CPU work, run in a thread)."""
    values: list[tuple[str, UUID, bytes, bytes, bytes | None, bytes | None]] = []
    unreadable: list[UUID] = []
    for r in rows:
        try:
            number = vault.decrypt(r["id_enc"])
            phone = vault.decrypt(r["phone_enc"]) if r["phone_enc"] is not None else None
        except DataKeyMissing:
            unreadable.append(r["id"])
            continue
        values.append((r["county_code"], r["id"], vault.encrypt(number), bytes(vault.lookup_hash(number)),
                       vault.encrypt(phone) if phone is not None else None,
                       bytes(vault.lookup_hash(phone)) if phone is not None and r["phone_hash"] is not None else None))
    return values, unreadable


def _household_values(vault: Vault, rows: list[asyncpg.Record]) -> tuple[list[tuple[str, UUID, bytes]], list[UUID]]:
    values: list[tuple[str, UUID, bytes]] = []
    unreadable: list[UUID] = []
    for r in rows:
        try:
            values.append((r["county_code"], r["id"], vault.encrypt(vault.decrypt(r["phone_enc"]))))
        except DataKeyMissing:
            unreadable.append(r["id"])
    return values, unreadable


async def _store_people(conn: Conn, values: list[tuple[str, UUID, bytes, bytes, bytes | None, bytes | None]],
                        report: RotationReport) -> int:
    """Write a batch; if its new ID hash collides (the same ID number registered twice, one of them by a
    process that did not yet hold the new key), write the others and report those rows for merging."""
    try:
        async with conn.transaction():
            return await repo.rewrite_people_keys(conn, values)
    except asyncpg.UniqueViolationError:
        pass
    moved = 0
    for value in values:
        try:
            async with conn.transaction():
                moved += await repo.rewrite_people_keys(conn, [value])
        except asyncpg.UniqueViolationError:
            report.duplicates.append(value[1])
    return moved


async def _rotate_people(conn: Conn, vault: Vault, county: str, batch_size: int, report: RotationReport,
                         progress: Progress) -> int:
    moved, after = 0, START
    while True:
        async with conn.transaction():
            rows = await repo.lock_people_off_key(conn, vault.current_prefix, county, after, batch_size)
            if not rows:
                return moved
            values, unreadable = await anyio.to_thread.run_sync(_people_values, vault, rows)
            report.unreadable += unreadable
            done = await _store_people(conn, values, report)
        after = rows[-1]["id"]
        moved += done
        report.people += done
        progress(f"人员：已轮换 {report.people}")


async def _rotate_households(conn: Conn, vault: Vault, county: str, batch_size: int, report: RotationReport,
                             progress: Progress) -> int:
    moved, after = 0, START
    while True:
        async with conn.transaction():
            rows = await repo.lock_households_off_key(conn, vault.current_prefix, county, after, batch_size)
            if not rows:
                return moved
            values, unreadable = await anyio.to_thread.run_sync(_household_values, vault, rows)
            report.unreadable += unreadable
            done = await repo.rewrite_household_keys(conn, values)
        after = rows[-1]["id"]
        moved += done
        report.households += done
        progress(f"农户：已轮换 {report.households}")


async def rotate(conn: Conn, vault: Vault, *, batch_size: int = 1000, max_passes: int = 20,
                 progress: Progress = lambda _: None) -> RotationReport:
    """Move every value on an old key to the current key (see the module doc). Idempotent and resumable."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    await check_keyring(conn, vault)
    report = RotationReport(current=vault.current_label)
    remaining = await repo.count_off_key(conn, vault.current_prefix)
    progress(f"当前密钥 {report.current}；待轮换：人员 {remaining['people']}，农户 {remaining['households']}")
    while any(remaining.values()) and report.passes < max_passes:
        report.passes += 1
        report.duplicates.clear()
        report.unreadable.clear()
        moved = 0
        # County by county, as every row lock on Citus must be (one shard per statement).
        for county in await repo.counties_off_key(conn, vault.current_prefix):
            moved += await _rotate_people(conn, vault, county, batch_size, report, progress)
            moved += await _rotate_households(conn, vault, county, batch_size, report, progress)
        remaining = await repo.count_off_key(conn, vault.current_prefix)
        if moved == 0:
            break  # what is left is locked by long transactions, duplicated or unreadable: reported
    report.remaining = remaining
    return report


async def bring_to_current_key(conn: Conn, vault: Vault, counties: list[str], hashes: list[bytes]) -> int:
    """Move the people found by these ID hashes (any key) to the current key now. For a writer that
    matches existing people by their stored hash (the ledger's upsert): afterwards the current hash is
    the stored one. Returns how many people moved."""
    prefix = vault.current_prefix
    if not hashes or not await repo.any_people_off_key(conn, prefix, counties):
        return 0
    older = [c for h in hashes for c in lookup_candidates(h)[1:]]
    report = RotationReport(current=vault.current_label)
    async with conn.transaction():
        rows = await repo.lock_people_off_key_by_hash(conn, prefix, counties, older)
        values, _ = await anyio.to_thread.run_sync(_people_values, vault, rows)
        return await _store_people(conn, values, report)
