"""The audit log's hash chain: sealing committed rows into their county's chain, verifying it, and
retention (rows older than the configured days, never fewer than six months, leave with their links).

link n = sha256(link n-1 || canonical(row n)); the first kept link continues from the head's `first_prev`
(32 zero bytes until retention first removes links). Whoever can write the database can also rebuild
the chain from a row onward; the chain makes an edit or a deletion behind the service's back visible to
`training audit verify`, which names the row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import asyncpg
import msgspec

from training.audit import repository
from training.core.config import AUDIT_RETENTION_MIN_DAYS

GENESIS = bytes(32)
SEAL_BATCH = 5000


def canonical(row: Any, seq: int) -> bytes:
    """The bytes a link covers: every column of the row and its place in the chain."""
    return msgspec.json.encode(
        [row["county_code"], seq, row["id"], row["at"].astimezone(UTC).isoformat(),
         str(row["actor_id"]) if row["actor_id"] is not None else None, row["actor_name"], row["action"],
         row["object_type"], row["object_id"], row["changes"]], order="sorted")


def link(previous: bytes, row: Any, seq: int) -> bytes:
    return hashlib.sha256(previous + canonical(row, seq)).digest()


async def seal(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, county_code: str) -> int:
    """Append the county's committed, unsealed rows to its chain; returns how many. Concurrent sealers
    of one county wait on its head row, so the chain never forks."""
    sealed = 0
    while True:
        async with conn.transaction():
            head = await repository.lock_head(conn, county_code, GENESIS)
            horizon = await repository.oldest_running_transaction(conn)
            rows = await repository.unsealed(conn, county_code, head["sealed_to"], SEAL_BATCH)
            seq, previous = head["seq"], bytes(head["hash"])
            links = []
            for row in rows:
                seq += 1
                previous = link(previous, row, seq)
                links.append((seq, row["id"], previous))
            if links:
                await repository.append_links(conn, county_code, links)
            done = len(rows) < SEAL_BATCH
            await repository.move_head(conn, county_code, seq, previous, horizon if done else None)
        sealed += len(rows)
        if done:
            return sealed


async def seal_all(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy) -> int:
    return sum([await seal(conn, county) for county in await repository.counties_to_seal(conn)])


@dataclass
class Verification:
    county_code: str
    links: int = 0
    problems: list[str] = field(default_factory=list)


async def verify(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, county_code: str) -> Verification:
    """Walk the county's chain; every problem names the audit row (id) and the link it sits at."""
    result = Verification(county_code)
    head = await repository.head(conn, county_code)
    if head is None:
        return result
    expected, previous = head["first_seq"], bytes(head["first_prev"])
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in repository.chain_cursor(conn, county_code, head["first_seq"], head["seq"]):
            seq, stored = row["seq"], bytes(row["hash"])
            if seq != expected:
                result.problems.append(f"链节 {expected}–{seq - 1} 缺失（其审计记录的链被删除）")
            if not row["present"]:
                result.problems.append(f"审计记录 id {row['audit_id']}（链节 {seq}）已被删除")
            elif link(previous, row, seq) != stored:
                result.problems.append(f"审计记录 id {row['audit_id']}（链节 {seq}）已被改动，或其前一链节被改动")
            result.links += 1
            expected, previous = seq + 1, stored
        if expected != head["seq"] + 1 or previous != bytes(head["hash"]):
            result.problems.append(f"链尾应为链节 {head['seq']}，实际止于链节 {expected - 1}（末尾的链节被删除或改动）")
        for audit_id in await repository.outside_chain(conn, county_code, head["sealed_to"]):
            result.problems.append(f"审计记录 id {audit_id} 不在链中（在封存之后被写入，时间却早于封存点）")
    return result


async def verify_all(conn: asyncpg.Connection, progress: Callable[[str], None] | None = None) -> list[Verification]:
    """Seal what is committed, then verify every county's chain."""
    sealed = await seal_all(conn)
    if progress:
        progress(f"封存了 {sealed} 条新的审计记录")
    results = []
    for county in await repository.chained_counties(conn):
        results.append(await verify(conn, county))
        if progress:
            progress(f"{county}：检查了 {results[-1].links} 个链节")
    return results


async def prune(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, county_code: str,
                retention_days: int) -> int:
    """Delete the county's audit rows older than `retention_days` (from the chain's start) with their
    links, after checking the chain: a broken chain is kept whole as evidence. Returns rows deleted."""
    retention_days = max(retention_days, AUDIT_RETENTION_MIN_DAYS)
    if (await verify(conn, county_code)).problems:
        return 0
    async with conn.transaction():
        head = await repository.lock_head(conn, county_code, GENESIS)
        keep_from = await repository.first_link_to_keep(conn, county_code, head["first_seq"], retention_days)
        keep_from = head["seq"] + 1 if keep_from is None else keep_from
        if keep_from <= head["first_seq"]:
            return 0
        return await repository.drop_links_before(conn, county_code, head["first_seq"], keep_from)


async def prune_all(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, retention_days: int) -> int:
    return sum([await prune(conn, county, retention_days) for county in await repository.chained_counties(conn)])
