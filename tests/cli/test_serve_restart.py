"""`training serve` after a killed one: the embedded PostgreSQL the killed service left running is taken
over, and Ctrl-C stops it (a stale holder pid in the wheel's list used to keep it running for ever)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TRAINING_DATA_DIR": str(data_dir), "DATABASE_URL": ""}
    return subprocess.Popen([sys.executable, "-m", "training.cli", "serve", "--port", str(port)], env=env,  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_healthy(port: int, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the service did not become healthy")


def postmaster(pgdata: Path) -> psutil.Process | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
    except (FileNotFoundError, psutil.NoSuchProcess, ValueError, IndexError):
        return None
    return process if process.is_running() and process.status() != psutil.STATUS_ZOMBIE else None


def test_ctrl_c_stops_the_database_even_after_a_killed_service(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    first = serve(tmp_path, port := free_port())
    try:
        wait_healthy(port, first)
        first.kill()  # kill -9: no cleanup, the server and the holder list stay behind
        first.wait(10)
        left = postmaster(pgdata)
        assert left is not None, "the killed service's database should still be running"

        second = serve(tmp_path, port := free_port())
        try:
            wait_healthy(port, second)
            second.send_signal(signal.SIGINT)  # Ctrl-C
            assert second.wait(60) == 0
        finally:
            if second.poll() is None:
                second.kill()
        deadline = time.monotonic() + 10
        while postmaster(pgdata) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert postmaster(pgdata) is None, "PostgreSQL is still running after Ctrl-C"
        assert not left.is_running() or left.status() == psutil.STATUS_ZOMBIE
    finally:
        if first.poll() is None:
            first.kill()
        if (server := postmaster(pgdata)) is not None:  # never leave a server behind, pass or fail
            server.terminate()
