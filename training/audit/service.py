"""The audit log's hash chain: sealing committed rows into their county's chain, verifying it, and
retention (rows older than the configured days, never fewer than six months, leave with their links).

link n = HMAC-SHA256(chain key, link n-1 || canonical(row n)); the first kept link continues from the
head's `first_prev` (32 zero bytes until retention first removes links). The chain key is derived from
the data key (training.core.crypto), which the database does not hold: whoever can write the database
but not read the service's keys cannot recompute a link, so an edit or a deletion behind the service's
back is caught however the links around it are rewritten. What a keyed chain alone cannot show is a
chain cut short (the last links deleted and the head stepped back) or a head that claims retention has
removed links it never removed: the service also keeps each county's last link number and first kept
link number outside the database, in the data dir's `audit_anchor.json` (only ever moved forward, and
logged), and `training audit verify` compares the chain with it. `training restore` re-anchors at the
restored chain; `training keys rotate` re-keys it (after verifying it under the old key).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from training.audit import repository
from training.core.config import AUDIT_RETENTION_MIN_DAYS
from training.core.crypto import DataKey, DataKeyMissing, Vault

log = logging.getLogger("training.audit")
ANCHOR_FILE = "audit_anchor.json"
GENESIS = bytes(32)
SEAL_BATCH = 5000


def canonical(row: Any, seq: int) -> bytes:
    """The bytes a link covers: every column of the row and its place in the chain."""
    return msgspec.json.encode(
        [row["county_code"], seq, row["id"], row["at"].astimezone(UTC).isoformat(),
         str(row["actor_id"]) if row["actor_id"] is not None else None, row["actor_name"], row["action"],
         row["object_type"], row["object_id"], row["changes"]], order="sorted")


def link(key: bytes, previous: bytes, row: Any, seq: int) -> bytes:
    return hmac.new(key, previous + canonical(row, seq), hashlib.sha256).digest()


class Anchor:
    """Each county's last link number (`seq`) and first kept link number (`first_seq`), kept in a file
    outside the database. Both only move forward (several service processes may write it: a lock file
    serialises them), except where an operator says so (`reset`, by `training restore`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, dict[str, int]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return {str(k): {"seq": int(v["seq"]), "first_seq": int(v["first_seq"])} for k, v in data.items()}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, dict[str, int]]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.read()
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                temporary = self.path.with_name(f".{self.path.name}.tmp")
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as handle:
                    json.dump(data, handle, sort_keys=True)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)

    def advance(self, county_code: str, seq: int, first_seq: int) -> None:
        """After a seal: the last link moves forward. A county new to the anchor takes the head as it is
        (`first_seq` too); after that only `pruned` moves the first link."""
        with self._locked() as data:
            mark = data.setdefault(county_code, {"seq": 0, "first_seq": first_seq})
            if seq > mark["seq"]:
                mark["seq"] = seq
                log.info("audit chain anchor: county %s sealed to link %d", county_code, seq)

    def pruned(self, county_code: str, first_seq: int) -> None:
        with self._locked() as data:
            mark = data.setdefault(county_code, {"seq": first_seq - 1, "first_seq": first_seq})
            if first_seq > mark["first_seq"]:
                mark["first_seq"] = first_seq
                log.info("audit chain anchor: county %s keeps links from %d", county_code, first_seq)

    def reset(self, heads: dict[str, tuple[int, int]]) -> None:
        """Anchor at exactly these (seq, first_seq) heads: a restored database's, chosen by the operator."""
        with self._locked() as data:
            data.clear()
            data.update({c: {"seq": seq, "first_seq": first} for c, (seq, first) in heads.items()})
        log.info("audit chain anchor reset to %d counties' restored heads", len(heads))


@dataclass(frozen=True)
class Keeper:
    """What the chain needs outside the database: the keyring (its chain key) and the anchor (None only
    where no data dir exists; verification then cannot see a chain cut short)."""

    vault: Vault
    anchor: Anchor | None

    @classmethod
    def of(cls, vault: Vault, data_dir: Path) -> Keeper:
        return cls(vault, Anchor(data_dir / ANCHOR_FILE))

    def key(self, key_id: bytes | None) -> DataKey:
        return self.vault.key(key_id)


async def seal(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper, county_code: str) -> int:
    """Append the county's committed, unsealed rows to its chain; returns how many. Concurrent sealers
    of one county wait on its head row, so the chain never forks. The anchor moves once the links are
    committed."""
    sealed = 0
    while True:
        current = keeper.key(None)
        async with conn.transaction():
            head = await repository.lock_head(conn, county_code, GENESIS, current.id)
            key = keeper.key(bytes(head["key_id"]))  # the chain's key (an old one until `keys rotate` re-keys it)
            horizon = await repository.oldest_running_transaction(conn)
            rows = await repository.unsealed(conn, county_code, head["sealed_to"], SEAL_BATCH)
            seq, previous = head["seq"], bytes(head["hash"])
            links = []
            for row in rows:
                seq += 1
                previous = link(key.chain_key, previous, row, seq)
                links.append((seq, row["id"], previous))
            if links:
                await repository.append_links(conn, county_code, links)
            done = len(rows) < SEAL_BATCH
            await repository.move_head(conn, county_code, seq, previous, horizon if done else None)
        if keeper.anchor is not None and (links or head["seq"]):
            keeper.anchor.advance(county_code, seq, head["first_seq"])
        sealed += len(rows)
        if done:
            return sealed


async def seal_all(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper) -> int:
    return sum([await seal(conn, keeper, county) for county in await repository.counties_to_seal(conn)])


@dataclass
class Verification:
    county_code: str
    links: int = 0
    problems: list[str] = field(default_factory=list)


async def verify(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper,
                 county_code: str) -> Verification:
    """Walk the county's chain; every problem names the audit row (id) and the link it sits at."""
    result = Verification(county_code)
    head = await repository.head(conn, county_code)
    mark = keeper.anchor.read().get(county_code) if keeper.anchor is not None else None
    if head is None:
        if mark is not None and mark["seq"] > 0:
            result.problems.append(f"该县的审计链整体被删除（服务记录的链尾为链节 {mark['seq']}）")
        return result
    try:
        key = keeper.key(bytes(head["key_id"]))
    except DataKeyMissing:
        result.problems.append(f"审计链使用的数据密钥 {bytes(head['key_id']).hex()} 不在密钥环中，无法核对"
                               "（链头被改动，或该密钥已被移走）")
        return result
    if mark is not None:
        if mark["seq"] > head["seq"]:
            result.problems.append(f"链尾被回退：服务记录的链尾为链节 {mark['seq']}，数据库中只到链节 {head['seq']}"
                                   "（末尾的审计记录和链节被删除）")
        if head["first_seq"] > max(mark["first_seq"], 1):
            result.problems.append(f"链首被推后：服务记录的链首为链节 {mark['first_seq']}，数据库中为链节 "
                                   f"{head['first_seq']}（其间的审计记录不是由保留期清理删除的）")
    expected, previous = head["first_seq"], bytes(head["first_prev"])
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in repository.chain_cursor(conn, county_code, head["first_seq"], head["seq"]):
            seq, stored = row["seq"], bytes(row["hash"])
            if seq != expected:
                result.problems.append(f"链节 {expected}–{seq - 1} 缺失（其审计记录的链被删除）")
            if not row["present"]:
                result.problems.append(f"审计记录 id {row['audit_id']}（链节 {seq}）已被删除")
            elif not hmac.compare_digest(link(key.chain_key, previous, row, seq), stored):
                result.problems.append(f"审计记录 id {row['audit_id']}（链节 {seq}）已被改动，或其前一链节被改动")
            result.links += 1
            expected, previous = seq + 1, stored
        if expected != head["seq"] + 1 or previous != bytes(head["hash"]):
            result.problems.append(f"链尾应为链节 {head['seq']}，实际止于链节 {expected - 1}（末尾的链节被删除或改动）")
        for audit_id in await repository.outside_chain(conn, county_code, head["sealed_to"]):
            result.problems.append(f"审计记录 id {audit_id} 不在链中（在封存之后被写入，时间却早于封存点）")
    return result


async def verify_all(conn: asyncpg.Connection, keeper: Keeper,
                     progress: Callable[[str], None] | None = None) -> list[Verification]:
    """Seal what is committed, then verify every county's chain (and every county the anchor knows)."""
    sealed = await seal_all(conn, keeper)
    if progress:
        progress(f"封存了 {sealed} 条新的审计记录")
    anchored = set(keeper.anchor.read()) if keeper.anchor is not None else set()
    results = []
    for county in sorted(set(await repository.chained_counties(conn)) | anchored):
        results.append(await verify(conn, keeper, county))
        if progress:
            progress(f"{county}：检查了 {results[-1].links} 个链节")
    return results


async def anchor_restored(conn: asyncpg.Connection, keeper: Keeper) -> int:
    """`training restore`: the restored chains are the truth now; anchor at their heads."""
    heads = await repository.heads(conn)
    if keeper.anchor is not None:
        keeper.anchor.reset({h["county_code"]: (h["seq"], h["first_seq"]) for h in heads})
    return len(heads)


async def rekey(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper, county_code: str) -> str:
    """Re-compute the county's chain under the current data key (after `training keys new`), once it has
    verified under its old key; a broken chain is left as it is, as evidence. Returns what was done."""
    current = keeper.key(None)
    head = await repository.head(conn, county_code)
    if head is None or bytes(head["key_id"]) == current.id:
        return "unchanged"
    if (await verify(conn, keeper, county_code)).problems:
        return "broken"
    async with conn.transaction():
        head = await repository.lock_head(conn, county_code, GENESIS, current.id)
        old = keeper.key(bytes(head["key_id"]))
        old_previous = new_previous = bytes(head["first_prev"])
        links = []
        async for row in repository.chain_cursor(conn, county_code, head["first_seq"], head["seq"]):
            stored = bytes(row["hash"])
            if not row["present"] or not hmac.compare_digest(link(old.chain_key, old_previous, row, row["seq"]), stored):
                return "broken"  # changed since it was verified: the transaction ends unchanged
            new_previous = link(current.chain_key, new_previous, row, row["seq"])
            links.append((row["seq"], new_previous))
            old_previous = stored
        await repository.replace_links(conn, county_code, links, current.id,
                                       new_previous if links else bytes(head["hash"]))
    return "rekeyed"


async def rekey_all(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper) -> dict[str, str]:
    return {county: await rekey(conn, keeper, county) for county in await repository.chained_counties(conn)}


async def keys_in_use(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy) -> set[str]:
    """The data keys (labels) the counties' chains are keyed with (`keys retire` keeps them)."""
    return {bytes(h["key_id"]).hex() for h in await repository.heads(conn)}


async def prune(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper, county_code: str,
                retention_days: int) -> int:
    """Delete the county's audit rows older than `retention_days` (from the chain's start) with their
    links, after checking the chain: a broken chain is kept whole as evidence. Returns rows deleted."""
    retention_days = max(retention_days, AUDIT_RETENTION_MIN_DAYS)
    if (await verify(conn, keeper, county_code)).problems:
        return 0
    async with conn.transaction():
        head = await repository.lock_head(conn, county_code, GENESIS, keeper.key(None).id)
        keep_from = await repository.first_link_to_keep(conn, county_code, head["first_seq"], retention_days)
        keep_from = head["seq"] + 1 if keep_from is None else keep_from
        if keep_from <= head["first_seq"]:
            return 0
        deleted = await repository.drop_links_before(conn, county_code, head["first_seq"], keep_from)
    if keeper.anchor is not None:
        keeper.anchor.pruned(county_code, keep_from)
    return deleted


async def prune_all(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, keeper: Keeper,
                    retention_days: int) -> int:
    return sum([await prune(conn, keeper, county, retention_days) for county in await repository.chained_counties(conn)])
