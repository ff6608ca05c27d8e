"""A real `training serve` against clients that send slowly, too much, or too many at once.

The server runs as a subprocess on a loopback port with short limits (headers 1 s, body 2 s,
keep-alive 1 s, 6 connections); the clients are raw sockets, so nothing in between buffers or
times out for them. Bodies over a route's limit are streamed: the server must refuse them early,
holding little of them, with or without an Idempotency-Key.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import cloned_database
from tests.core.hostile import HOSTILE
from tests.ledger.nasty import XLSX_MIME
from tests.seed import PASSWORD
from training.core.config import Settings

HEADER_TIMEOUT, BODY_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS = 1, 2, 1, 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def status_of(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process, self.port = process, port

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def token(self) -> str:
        answer = httpx.post(f"http://127.0.0.1:{self.port}/api/auth/token",
                            json={"username": "surveyor_a", "password": PASSWORD}, timeout=30)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token


@pytest.fixture(scope="module")
async def served_database(admin_dsn: str, template_dsn: str) -> AsyncIterator[str]:
    async with cloned_database(admin_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def server(served_database: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module: starting one takes seconds, and each test leaves it as it found it."""
    database, tmp_path = served_database, tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database, "TRAINING_DATA_DIR": str(settings.data_dir),
           "TRAINING_SECRET_KEY": settings.secret_key, "TRAINING_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
           "TRAINING_BODY_TIMEOUT": str(BODY_TIMEOUT), "TRAINING_KEEP_ALIVE": str(KEEP_ALIVE),
           "TRAINING_MAX_CONNECTIONS": str(MAX_CONNECTIONS), "TRAINING_LOGIN_RATE": "1000"}
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "training.cli", "serve", "--port", str(port)],  # noqa: S603
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "training serve did not start"
            time.sleep(0.2)
        yield Server(process, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (seconds from now)."""
    started = time.monotonic()
    sock.settimeout(limit)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def length_of(head: bytes) -> int:
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def drip(sock: socket.socket, pieces: list[bytes], every: float) -> float:
    """Send `pieces` one every `every` seconds until the server closes; seconds until it did."""
    started = time.monotonic()
    for piece in pieces:
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
        time.sleep(every)
        sock.settimeout(0.01)
        try:
            if sock.recv(65536, socket.MSG_PEEK) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
    return time.monotonic() - started


def test_a_client_dripping_its_headers_is_answered_408_and_cut_off(server: Server) -> None:
    with server.connect() as sock:
        started = time.monotonic()
        lines = [b"GET /health HTTP/1.1\r\n"] + [b"X-Slow: %d\r\n" % n for n in range(100)]
        drip(sock, lines, 0.1)  # ten seconds of headers, if nothing stopped them
        received, _ = read_until_closed(sock, 5)
        took = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408"), received
    assert "请求头" in received.decode(errors="replace")
    assert HEADER_TIMEOUT * 0.9 <= took < HEADER_TIMEOUT + 2, took


def test_a_silent_new_connection_is_closed_after_the_header_timeout(server: Server) -> None:
    with server.connect() as sock:
        received, took = read_until_closed(sock, 10)
    assert received.startswith(b"HTTP/1.1 408") and HEADER_TIMEOUT * 0.9 <= took < HEADER_TIMEOUT + 2, (received, took)


def test_a_client_dripping_its_body_is_answered_408_and_cut_off(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        started = time.monotonic()
        drip(sock, [b"{"] + [b" "] * 200, 0.1)  # twenty seconds of body, if nothing stopped it
        received, _ = read_until_closed(sock, 5)
        took = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408"), received
    assert "请求内容" in received.decode(errors="replace")
    assert BODY_TIMEOUT * 0.9 <= took < BODY_TIMEOUT + 2, took


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_time(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        first = b""
        while b"\r\n\r\n" not in first or len(first.split(b"\r\n\r\n", 1)[1]) < length_of(first):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200"), first
        rest, took = read_until_closed(sock, 10)
    assert rest == b"" and KEEP_ALIVE * 0.9 <= took < KEEP_ALIVE + 2, (rest, took)


def test_a_connection_over_the_cap_is_answered_503_and_closed_at_once(server: Server) -> None:
    held = [server.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        with server.connect() as extra:
            received, took = read_until_closed(extra, 5)
        assert received.startswith(b"HTTP/1.1 503") and took < 0.5, (received, took)
        assert "连接数" in received.decode(errors="replace")
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)  # the held ones are gone: a new client is served again
    assert httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=10).status_code == 200


GIB = 1 << 30
CHUNK = 1 << 20


def stream_body(server: Server, headers: bytes, chunked: bool) -> tuple[bytes, int]:
    """Send up to 1 GiB of body after `headers`; returns the answer and how much was sent before the
    server answered or closed."""
    with server.connect() as sock:
        sock.sendall(headers)
        sent = 0
        piece = b"x" * CHUNK
        frame = b"%x\r\n" % CHUNK + piece + b"\r\n" if chunked else piece
        sock.settimeout(0)
        answer = b""
        while sent < GIB:
            try:
                answer += sock.recv(65536)
                if answer:
                    break
            except BlockingIOError:
                pass
            except ConnectionResetError:
                break
            try:
                sock.settimeout(5)
                sock.sendall(frame)
                sock.settimeout(0)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += CHUNK
        rest, _ = read_until_closed(sock, 10)
        return answer + rest, sent


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("key", [True, False], ids=["idempotency-key", "no-key"])
def test_a_1_gib_upload_is_refused_with_413_early_without_being_held(server: Server, chunked: bool, key: bool) -> None:
    token = server.token()
    baseline = status_of(server.process.pid, "VmRSS")
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")  # peak := now
    length = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: %d\r\n" % GIB
    headers = (b"POST /api/ledger/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n"
               + (b"Idempotency-Key: big-one\r\n" if key else b"")
               + b"Content-Type: multipart/form-data; boundary=b\r\n" + length + b"\r\n")
    started = time.monotonic()
    answer, sent = stream_body(server, headers, chunked)
    took = time.monotonic() - started
    peak = status_of(server.process.pid, "VmHWM") - baseline
    print(f"1 GiB offered: {sent >> 20} MB sent, server peak +{peak / 2**20:.1f} MB, {took:.1f} s")  # shown with -s
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    body = answer.split(b"\r\n\r\n", 1)[1]
    assert json.loads(body[body.find(b"{"):body.rfind(b"}") + 1])["status"] == 413
    assert sent < 100 * CHUNK, f"{sent >> 20} MB went in before the refusal"
    assert peak < 100 * CHUNK, f"the server's peak grew {peak >> 20} MB"
    assert took < 30, took


@pytest.mark.parametrize("name", ["far_corner", "huge_dimension", "shared_strings", "wide_row_stored",
                                  "long_tag_stored", "many_entries"])
def test_a_hostile_workbook_raises_the_servers_peak_by_under_100_mb(server: Server, name: str) -> None:
    """The figure the issue asks for, on the service itself: multipart parsing and the reader together."""
    content = HOSTILE[name]()
    token = server.token()
    baseline = status_of(server.process.pid, "VmRSS")
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")
    answer = httpx.post(f"http://127.0.0.1:{server.port}/api/ledger/import", headers={"Authorization": f"Bearer {token}"},
                        files={"file": ("台账.xlsx", content, XLSX_MIME)}, timeout=120)
    peak = status_of(server.process.pid, "VmHWM") - baseline
    print(f"{name}: {len(content)} bytes, server peak +{peak / 2**20:.1f} MB")  # the figure, shown with -s
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("application/problem+json")
    assert peak < 100 * CHUNK, f"{name}: the server's peak grew {peak >> 20} MB"
