"""Browser tests: the real app served by uvicorn on a free local port (its own database, copied from the
seeded template), driven by Debian's chromium through Playwright. Playwright never downloads a browser
here: `.ci/run` installs the `chromium` package when it is missing.

Every page a test opens is watched: a console error, an uncaught exception, a request that fails, an
answer of 400 or more, or any request leaving this machine fails the test when it ends (`page` fixture).
A test that expects a refusal says so with `watch.allow(status)`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Browser, ConsoleMessage, Page, Request, Response, Route, async_playwright

from tests.seed import PASSWORD
from training.app import create_app
from training.core.config import Settings

CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(database: str, settings: Settings) -> Iterator[str]:
    """The app on `database`, served over HTTP by uvicorn in a thread with its own event loop."""
    app = create_app(settings, dsn=database, migrate_on_start=False, pool_size=(1, 4))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning",
                                           lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    for _ in range(300):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.05)
    if not server.started:
        server.should_exit = True
        thread.join(10)
        pytest.fail("the app did not start under uvicorn")
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


@dataclass
class Watch:
    """What went wrong on the page while a test ran, and the statuses the test expects to be refused."""

    problems: list[str] = field(default_factory=list)
    allowed: set[int] = field(default_factory=set)
    pending: int = 0

    def allow(self, *statuses: int) -> None:
        self.allowed.update(statuses)


@dataclass
class BrowserPage:
    page: Page
    base_url: str
    watch: Watch

    async def settle(self, seconds: float = 10.0) -> None:
        """Wait until the page has no request in flight and shows no 加载中… for a moment."""
        quiet = 0
        for _ in range(int(seconds / 0.05)):
            loading = await self.page.locator(".loading:visible").count()
            quiet = quiet + 1 if self.watch.pending == 0 and loading == 0 else 0
            if quiet >= 6:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the page is still loading after {seconds} s")

    async def login(self, username: str, password: str = PASSWORD) -> None:
        await self.page.goto(self.base_url + "/")
        await self.page.fill("#login-username", username)
        await self.page.fill("#login-password", password)
        await self.page.click("#login-form button[type=submit]")
        await self.page.wait_for_selector("#app-view", state="visible")
        await self.settle()


@pytest.fixture
async def page(browser: Browser, live_server: str) -> AsyncIterator[BrowserPage]:
    # The browser sits in a zone far from the county's (as CI's second run does to the server), so a page
    # that takes "today" from the browser's clock instead of the server shows it.
    context = await browser.new_context(locale="zh-CN", timezone_id="Pacific/Kiritimati", accept_downloads=True)
    watch = Watch()

    async def offline_only(route: Route) -> None:
        # The dashboard must work without the internet: nothing may be fetched from another host.
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            await route.continue_()
        else:
            watch.problems.append(f"request leaves the machine: {route.request.url}")
            await route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not _expected_status_message(message.text, watch.allowed):
            watch.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_request(_request: Request) -> None:
        watch.pending += 1

    def on_done(_request: Request) -> None:
        watch.pending -= 1

    def on_failed(request: Request) -> None:
        watch.pending -= 1
        # A download the page saves itself is reported as aborted by the browser; that is not a failure.
        if request.failure and "ERR_ABORTED" in request.failure and request.resource_type != "document":
            return
        watch.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.status not in watch.allowed:
            watch.problems.append(f"{response.status} from {response.request.method} {response.url}")

    await context.route("**/*", offline_only)
    browser_page = await context.new_page()
    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda error: watch.problems.append(f"uncaught: {error}"))
    browser_page.on("request", on_request)
    browser_page.on("requestfinished", on_done)
    browser_page.on("requestfailed", on_failed)
    browser_page.on("response", on_response)
    browser_page.set_default_timeout(10_000)
    try:
        yield BrowserPage(browser_page, live_server, watch)
    finally:
        await context.close()
    assert not watch.problems, "the page reported problems:\n" + "\n".join(watch.problems)


def _expected_status_message(text: str, allowed: set[int]) -> bool:
    """Chromium logs every 4xx answer as a console error; those the test allowed are expected."""
    return any(f"status of {status}" in text for status in allowed)
