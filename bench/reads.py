"""Benchmark: reads (menu, session list, a session, a person) over HTTP through `training serve`, beside raw
asyncpg running the same SQL with the same pool size, at a fixed offered rate, plus the service's peak memory.

The load generator is open-model: each request is sent at its scheduled time whether or not earlier ones
have been answered, and its latency counts from that scheduled time, so a server that falls behind shows
it as latency instead of quietly lowering the rate (coordinated omission). The HTTP client is a few lines
of asyncio streams over keep-alive connections, so the generator costs far less than the server.

"The same SQL": each read is made once in-process with a query logger on the pool's connections; the raw
side replays exactly those statements with their arguments on a bare asyncpg pool of the service's size.

    .venv/bin/python -m bench.reads [--rate 300] [--seconds 10] [--sessions 500] [--people 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import asyncpg
import httpx

from bench.common import ADMIN, ADMIN_PASSWORD, open_bench_database
from bench.recommendations import build_county, ensure_model, latency_ms
from training.app import create_app
from training.core import db
from training.core.config import load_settings, today_in
from training.core.crypto import Vault
from training.core.rules import rule_for

ROOT = Path(__file__).resolve().parents[1]
SERVICE_POOL = 10  # create_app's default pool maximum, what `training serve` runs with
TARGET_RATIO, TARGET_P99_MS = 0.7, 50.0
CONCURRENCY = 32  # callers in the capacity run: enough to keep a pool of 10 busy
ERRORS: list[str] = []


@dataclass
class Run:
    sent: int
    ok: int
    failed: int
    seconds: float
    latencies: list[float]

    def summary(self, offered: float) -> dict[str, Any]:
        return {"offered_per_s": offered, "sent": self.sent, "ok": self.ok, "failed": self.failed,
                "achieved_per_s": round(self.ok / self.seconds, 1),
                "latency_ms_from_schedule": latency_ms(self.latencies) if self.latencies else None}


async def open_model(rate: float, seconds: float, call: Callable[[int], Awaitable[bool]]) -> Run:
    """Start call(i) at start + i / rate for `seconds`, never waiting for answers before sending."""
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    latencies: list[float] = []
    outcome = {"ok": 0, "failed": 0}

    async def one(i: int) -> None:
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            good = await call(i)
        except (OSError, asyncio.IncompleteReadError, asyncpg.PostgresError) as exc:
            ERRORS.append(repr(exc))
            good = False
        latencies.append(loop.time() - scheduled)
        outcome["ok" if good else "failed"] += 1

    tasks = []
    for i in range(total):  # tasks are created on schedule too: a million sleeping tasks would cost the client
        scheduled = start + i / rate
        if scheduled - loop.time() > 0.02:
            await asyncio.sleep(scheduled - loop.time() - 0.01)
        tasks.append(asyncio.ensure_future(one(i)))
    await asyncio.gather(*tasks)
    return Run(total, outcome["ok"], outcome["failed"], loop.time() - start, latencies)


async def capacity(concurrency: int, seconds: float, call: Callable[[int], Awaitable[bool]]) -> float:
    """Answers per second with `concurrency` callers each sending the next request on the last answer:
    the most the side can serve, which is what the ratio compares."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    done = [0]

    async def caller() -> None:
        while loop.time() < end:
            try:
                if await call(0):
                    done[0] += 1
            except (OSError, asyncio.IncompleteReadError, asyncpg.PostgresError) as exc:
                ERRORS.append(repr(exc))

    started = loop.time()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return round(done[0] / (loop.time() - started), 1)


class HttpClient:
    """GET over persistent HTTP/1.1 connections; a request waits for a free connection (counted in its
    latency), and a new one is opened while fewer than `most` are open."""

    def __init__(self, port: int, headers: dict[str, str], most: int = 256) -> None:
        self.port, self.most, self.opened = port, most, 0
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle.empty() and self.opened < self.most:
            self.opened += 1
            return await asyncio.open_connection("127.0.0.1", self.port)
        return await self.idle.get()

    async def get(self, path: str) -> bool:
        reader, writer = await self._connection()
        request = f"GET {path} HTTP/1.1\r\nhost: bench\r\n{self.head}\r\n".encode()
        writer.write(request)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):  # the server closed it while idle (keep-alive)
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        if b"connection: close" in head.lower():
            writer.close()
            self.opened -= 1
        else:
            self.idle.put_nowait((reader, writer))
        return status == 200

    def getter(self, path: str) -> Callable[[int], Awaitable[bool]]:
        return lambda _i: self.get(path)

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_peak_mb(pid: int) -> float:
    """VmHWM (peak resident set) of the process and its children (uvicorn's workers, if any)."""
    total = 0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


async def captured_sql(settings: Any, dsn: str, paths: dict[str, str]) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
    """The statements (and arguments) each read runs, logged from the service's own pool connections."""
    current: list[tuple[str, tuple[Any, ...]]] = []
    original = db._init_connection

    async def logged(conn: asyncpg.Connection) -> None:
        await original(conn)
        conn.add_query_logger(lambda q: current.append((q.query, tuple(q.args))))

    db._init_connection = logged  # only in this process, only for this capture
    try:
        app = create_app(settings, dsn=dsn, migrate_on_start=False)
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, app)),
                                                     base_url="http://bench") as http:
            token = (await http.post("/api/auth/token", json={"username": ADMIN, "password": ADMIN_PASSWORD})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            found = {}
            for name, path in paths.items():
                await http.get(path, headers=headers)  # warm: anything cached in-process is cached
                current.clear()
                response = await http.get(path, headers=headers)
                assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
                found[name] = list(current)
            return found
    finally:
        db._init_connection = original


async def main(rate: float, seconds: float, sessions: int, people: int) -> dict[str, Any]:
    settings = load_settings()
    bench = await open_bench_database(settings, "reads")
    server: subprocess.Popen[bytes] | None = None
    try:
        async with db.connect(bench.dsn) as conn:
            built = await build_county(conn, Vault.from_data_dir(settings.data_dir), sessions, people, 0)
            await ensure_model(conn, rule_for(settings, today_in(settings.timezone)), built["people"],
                               built["sessions"])
            village = await conn.fetchval(
                "SELECT village_code FROM sessions GROUP BY village_code ORDER BY count(*) DESC LIMIT 1")
            menu_size = await conn.fetchval("SELECT count(*) FROM sessions WHERE village_code LIKE $1",
                                            village[:6] + "%")
        person, session = built["people"][0], built["sessions"][0]
        paths = {"menu": f"/api/menu?village_code={village}",
                 "session list": "/api/sessions?status=published&limit=50",
                 "a session": f"/api/sessions/{session}",
                 "a person": f"/api/people/{person}"}
        statements = await captured_sql(settings, bench.dsn, paths)

        port = free_port()
        env = {**os.environ, "DATABASE_URL": bench.dsn}
        log = tempfile.NamedTemporaryFile(prefix="bench-serve-", suffix=".log", delete=False)
        # Popen only starts it (no wait): fine inside the loop.
        server = subprocess.Popen([sys.executable, "-m", "training.cli", "serve", "--port", str(port)],  # noqa: S603, ASYNC220
                                  env=env, stdout=log, stderr=log, cwd=ROOT)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(600):
                try:
                    if (await http.get("/health")).status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None:
                    raise RuntimeError(f"training serve exited; its log: {log.name}")
                await asyncio.sleep(0.1)
            token = (await http.post("/api/auth/token", json={"username": ADMIN, "password": ADMIN_PASSWORD})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            # the model loaded, as in service: the memory figure includes it
            reco = await http.get(f"/api/people/{person}/recommendations", headers=headers)
            assert reco.status_code == 200, reco.text[:300]
            sizes = {name: len((await http.get(path, headers=headers)).content) for name, path in paths.items()}

        client = HttpClient(port, headers)
        # the service's connection set-up (the jsonb codec), nothing else
        raw_pool = await asyncpg.create_pool(bench.dsn, min_size=SERVICE_POOL, max_size=SERVICE_POOL,
                                             init=db._init_connection)
        assert raw_pool is not None
        reads: dict[str, Any] = {}
        try:
            for name, path in paths.items():
                get = client.getter(path)
                await open_model(min(rate, 50), 1, get)  # warm the connections
                http_run = await open_model(rate, seconds, get)
                sql = statements[name]

                async def replay(_i: int, sql: list[tuple[str, tuple[Any, ...]]] = sql) -> bool:
                    async with raw_pool.acquire() as conn:
                        for query, args in sql:  # as the service sent it: simple protocol when no arguments
                            await (conn.fetch(query, *args) if args else conn.execute(query))
                    return True

                await open_model(min(rate, 50), 1, replay)
                raw_run = await open_model(rate, seconds, replay)
                h, r = http_run.summary(rate), raw_run.summary(rate)
                h["capacity_per_s"] = await capacity(CONCURRENCY, seconds, get)
                r["capacity_per_s"] = await capacity(CONCURRENCY, seconds, replay)
                ratio = round(h["capacity_per_s"] / r["capacity_per_s"], 3) if r["capacity_per_s"] else 0.0
                if ERRORS:
                    print(f"{name}: {len(ERRORS)} errors, first {ERRORS[0]}", file=sys.stderr, flush=True)
                    ERRORS.clear()
                p99 = h["latency_ms_from_schedule"]["p99"] if h["latency_ms_from_schedule"] else float("inf")
                reads[name] = {"path": path.split("?")[0], "response_bytes": sizes[name], "statements": len(sql),
                               "http": h, "raw_asyncpg": r, "ratio": ratio,
                               "met": ratio >= TARGET_RATIO and p99 < TARGET_P99_MS and h["failed"] == 0}
                print(f"{name}: HTTP {h['capacity_per_s']}/s (p99 {p99} ms at {rate}/s), raw {r['capacity_per_s']}/s, "
                      f"ratio {ratio}", flush=True)
        finally:
            await client.close()
            await raw_pool.close()
        memory = rss_peak_mb(server.pid)
        return {"sessions": sessions, "people": people, "menu_village_sessions_in_township": menu_size,
                "offered_per_s": rate, "seconds": seconds, "pool_size": SERVICE_POOL, "reads": reads,
                "serve_peak_rss_mb": memory, "targets": {"ratio": TARGET_RATIO, "p99_ms": TARGET_P99_MS,
                                                         "serve_peak_rss_mb": 400},
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        await bench.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--people", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.rate, args.seconds, args.sessions, args.people)), ensure_ascii=False,
                     indent=2))
