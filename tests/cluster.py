"""Running the suite on a Citus cluster (TRAINING_TEST_CITUS=1, nodes in CITUS_NODES; `tests/citus.sh`).

Citus does not propagate `CREATE DATABASE … TEMPLATE`, and a database with the citus extension cannot be
copied while its maintenance daemon is connected to it. So every database the tests use is made on each
node: the template on every node with the citus extension and the workers registered, and each test's
copy node by node (`STRATEGY FILE_COPY`, after closing the template's connections). The copies keep the
shards' names and the metadata, and Citus reaches the workers' databases by the coordinator's database
name, so each copy is a cluster of its own.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Sequence

import asyncpg

ENABLED = os.environ.get("TRAINING_TEST_CITUS") == "1"


def nodes() -> list[tuple[str, int]]:
    """(host, port) of the coordinator, then the workers."""
    raw = os.environ.get("CITUS_NODES", "")
    found = [(entry.rsplit(":", 1)[0], int(entry.rsplit(":", 1)[1])) for entry in raw.split(",") if entry.strip()]
    if len(found) < 2:
        raise RuntimeError("TRAINING_TEST_CITUS=1 needs CITUS_NODES=host:port,... (coordinator first, then "
                           "workers): run the suite with tests/citus.sh, or eval \"$(cluster.sh env)\"")
    return found


def _dsn(host: str, port: int, database: str) -> str:
    return f"postgresql://postgres@{host}:{port}/{database}"


def admin_dsn() -> str:
    host, port = nodes()[0]
    return _dsn(host, port, "postgres")


async def _on_node(host: str, port: int, *statements: str) -> None:
    conn = await asyncpg.connect(_dsn(host, port, "postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _retry(host: str, port: int, *statements: str, attempts: int = 20) -> None:
    """A database being copied or dropped may still have a connection for a moment (the Citus maintenance
    daemon reconnects, a pool's last connection closes): try again shortly."""
    for attempt in range(attempts):
        try:
            await _on_node(host, port, *statements)
            return
        except (asyncpg.ObjectInUseError, asyncpg.InternalServerError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.25)


async def create_template(name: str) -> None:
    """An empty database on every node with the citus extension, the coordinator and workers registered."""
    all_nodes = nodes()
    for host, port in all_nodes:
        await _retry(host, port, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        conn = await asyncpg.connect(_dsn(host, port, name))
        try:
            await conn.execute("CREATE EXTENSION citus")
        finally:
            await conn.close()
    (host, port), workers = all_nodes[0], all_nodes[1:]
    conn = await asyncpg.connect(_dsn(host, port, name))
    try:
        await conn.execute("SELECT citus_set_coordinator_host($1, $2)", host, port)
        for worker_host, worker_port in workers:
            await conn.execute("SELECT citus_add_node($1, $2)", worker_host, worker_port)
    finally:
        await conn.close()


async def place_counties_apart(conn: asyncpg.Connection, counties: Sequence[str]) -> None:
    """Move shard groups so that each of the given counties lives on a different worker (when there are
    enough workers), so the suite proves nothing depends on two counties sharing a node."""
    workers = [(r["nodename"], r["nodeport"]) for r in await conn.fetch(
        "SELECT nodename, nodeport FROM pg_dist_node WHERE shouldhaveshards AND noderole = 'primary' "
        "ORDER BY nodeid")]
    used: set[tuple[str, int]] = set()
    for county in counties[:len(workers)]:
        shard = await conn.fetchrow(
            """SELECT s.shardid, p.nodename, p.nodeport FROM pg_dist_shard s
               JOIN pg_dist_placement pl ON pl.shardid = s.shardid
               JOIN pg_dist_node p ON p.groupid = pl.groupid
               WHERE s.shardid = get_shard_id_for_distribution_column('schools', $1::text)""", county)
        assert shard is not None
        here = (shard["nodename"], shard["nodeport"])
        if here in used:
            target = next(w for w in workers if w not in used)
            await conn.execute(
                "SELECT citus_move_shard_placement($1, $2, $3, $4, $5, shard_transfer_mode => 'block_writes')",
                shard["shardid"], here[0], here[1], target[0], target[1])
            here = target
        used.add(here)
    await conn.execute("CALL citus_cleanup_orphaned_resources()")


async def copy_everywhere(template: str, name: str) -> None:
    """The template copied to `name` on every node at once (the template's connections are closed first)."""
    await asyncio.gather(*(_retry(
        host, port,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{template}' "
        "AND pid <> pg_backend_pid()",
        f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY') for host, port in nodes()))


async def drop_everywhere(name: str) -> None:
    await asyncio.gather(*(_retry(host, port, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                           for host, port in nodes()))


class Copies:
    """Each test's database, made one test ahead and dropped behind it on the test loop, so that copying
    on three nodes overlaps the tests instead of adding to every one (a test waits only for what is not
    ready yet). `close` waits for all of it at the end of the run."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.ahead: asyncio.Task[str] | None = None
        self.dropping: set[asyncio.Task[None]] = set()
        self.left: list[str] = []

    async def _new(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        try:
            await copy_everywhere(self.template, name)
        except BaseException:
            self.give_back(name)  # made on some nodes only
            raise
        return name

    async def take(self) -> str:
        ahead, self.ahead = self.ahead, None
        name = None
        if ahead is not None:
            # A test that holds the loop for long (a CLI run on its own loop) can time the copy made
            # ahead out; then this test makes its own.
            try:
                name = await ahead
            except (OSError, TimeoutError, asyncpg.PostgresError):
                name = None
        if name is None:
            name = await self._new()
        self.ahead = asyncio.create_task(self._new())
        return name

    def give_back(self, name: str) -> None:
        task = asyncio.create_task(self._drop(name))
        self.dropping.add(task)
        task.add_done_callback(self.dropping.discard)

    async def _drop(self, name: str) -> None:
        try:
            await drop_everywhere(name)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            self.left.append(name)  # tried again at the end

    async def close(self) -> None:
        if self.ahead is not None:
            try:
                self.give_back(await self.ahead)
            except (OSError, TimeoutError, asyncpg.PostgresError):
                pass
            self.ahead = None
        await asyncio.gather(*self.dropping)
        for name in self.left:
            await drop_everywhere(name)
