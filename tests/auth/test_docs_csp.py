"""The API docs page (/schema) works under its Content-Security-Policy: a real browser (Debian's
chromium, headless) loads it from a real server and reports no CSP violation, and RapiDoc renders."""

from __future__ import annotations

import asyncio
import shutil
import socket
from pathlib import Path

import pytest
import uvicorn

from tests.conftest import make_settings
from training.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
async def test_the_docs_page_runs_under_its_csp_in_a_browser(database: str, tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data"), dsn=database, migrate_on_start=False, pool_size=(1, 2))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(600):  # uvicorn offers no event for "started"; at most 30 s
            if server.started:
                break
            await asyncio.sleep(0.05)
        browser = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=8000", "--dump-dom",
            f"http://127.0.0.1:{port}/schema",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(browser.communicate(), timeout=90)
    finally:
        server.should_exit = True
        await serving
    console = [line for line in err.decode(errors="replace").splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Content Security Policy" in line or "Uncaught" in line], console
    assert "<rapi-doc" in out.decode(errors="replace")
