"""The Litestar application: routes, auth, errors, OpenAPI and the database lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import msgspec
from litestar import Litestar, Request, Response, Router, get
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, RapidocRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from training import __version__
from training.audit import service as audit
from training.audit.controllers import AuditController
from training.auth import service as auth_service
from training.auth.cache import AccountCache
from training.auth.controllers import AuthController, UserController
from training.auth.jwt import make_jwt_auth
from training.auth.policy import Scope as ReadScope
from training.catalogue.controllers import CONTROLLERS as CATALOGUE
from training.core import db
from training.core.config import Settings, load_settings
from training.core.crypto import Vault
from training.core.deps import DEPENDENCIES, Caller, Conn, resolve_dependencies_in_order
from training.core.errors import EXCEPTION_HANDLERS, RETRY_AFTER_SECONDS, status_for
from training.core.idempotency import idempotency_middleware, prune
from training.core.openapi import StrictStructSchemaPlugin, document
from training.core.web import add_security_headers, client_address, networks
from training.dashboard.controllers import DashboardController
from training.enrolment import service as enrolment
from training.enrolment.controllers import CONTROLLERS as ENROLMENT
from training.ledger.controllers import LedgerController
from training.lifecycle import prepare_database
from training.matching.controllers import CONTROLLERS as MATCHING
from training.progress.controllers import CONTROLLERS as PROGRESS
from training.recommendations.controllers import CONTROLLERS as RECOMMENDATIONS
from training.regions.controllers import RegionController
from training.registry.controllers import CONTROLLERS as REGISTRY
from training.registry.keys import check_keyring

log = logging.getLogger("training")
access_log = logging.getLogger("training.access")
STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"


class Health(msgspec.Struct):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    version: str


@get("/health", opt={"exclude_from_auth": True}, tags=["系统 system"], summary="服务与数据库是否正常",
     responses={503: ResponseSpec(Health, description="数据库不可用", generate_examples=False)})
async def health(state: State) -> Response[Health]:
    if await db.answers(state.pool, within=2):
        return Response(Health("ok", "ok", __version__))
    return Response(Health("degraded", "unavailable", __version__), status_code=503,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def provide_reach(conn: Conn, principal: Caller) -> ReadScope:
    """The caller's registry scope, once per request. A school's readable people are the enrolment
    slice's knowledge; wiring it here keeps the imports one way (enrolment uses the registry, never back)."""
    return await enrolment.registry_scope(conn, principal)


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    """One line per request: method, path, status, time. Never the query string or body, which may
    carry personal data."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, capture)
        except BaseException as exc:
            status = status_for(exc)  # the exception handlers answer it once it has passed here
            raise
        finally:
            access_log.info("%s %s %s %.1fms", scope.get("method"), scope["path"], status,
                            (time.perf_counter() - started) * 1000)

    return middleware


class OfflineRapidoc(RapidocRenderPlugin):
    """RapiDoc with its web fonts (Google's) switched off: the page uses the vendored font, offline."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        return page.replace(b"<rapi-doc ", b'<rapi-doc load-fonts="false" regular-font="\'Noto Sans SC\', sans-serif" ', 1)


AUDIT_SEAL_SECONDS = 5.0
AUDIT_PRUNE_SECONDS = 86400.0
LOGIN_PRUNE_SECONDS = 3600.0


async def keep_audit_chain(pool: Any, settings: Settings, keeper: audit.Keeper) -> None:
    """Seal committed audit rows into their county's hash chain every few seconds; hourly, forget idle
    failed-login counts; once a day, delete rows past the retention (each county's chain verified first)."""
    pruned_at = time.monotonic() - AUDIT_PRUNE_SECONDS + 60  # the first retention pass a minute after start
    logins_pruned_at = time.monotonic() - LOGIN_PRUNE_SECONDS + 60
    while True:
        await asyncio.sleep(AUDIT_SEAL_SECONDS)
        try:
            async with pool.acquire() as conn:
                await audit.seal_all(conn, keeper)
                if time.monotonic() - logins_pruned_at >= LOGIN_PRUNE_SECONDS:
                    # Hourly: failed-login counts of names nobody tried for a lockout window (bounded table).
                    logins_pruned_at = time.monotonic()
                    await auth_service.prune_login_counts(conn, settings)
                if time.monotonic() - pruned_at >= AUDIT_PRUNE_SECONDS:
                    pruned_at = time.monotonic()
                    if deleted := await audit.prune_all(conn, keeper, settings.audit_retention_days):
                        log.info("audit retention: deleted %d rows older than %d days", deleted,
                                 settings.audit_retention_days)
        except Exception as exc:
            if db.unavailable(exc):
                log.info("audit chain: database unavailable (%s); will retry", type(exc).__name__)
            else:
                log.exception("audit chain: sealing failed")


def log_every_request(config: AppConfig) -> AppConfig:
    """Put the access log outside every other middleware, the token check included: a request refused
    there (a 401, a 503 while the database is down) is logged like any other."""
    config.middleware.insert(0, access_log_middleware)
    return config


async def is_login(request: Request[Any, Any, Any]) -> bool:
    """Only logins are rate limited. Async on purpose: Litestar runs a sync throttle check in a worker
    thread, a thread hop on every request."""
    return request.url.path == "/api/auth/token"


def create_app(settings: Settings | None = None, *, dsn: str | None = None, migrate_on_start: bool = True,
               pool_size: tuple[int, int] = (2, 10)) -> Litestar:
    """Build the app. The database is `dsn`, else DATABASE_URL, else an embedded server started here."""
    settings = settings or load_settings()
    resolve_dependencies_in_order()
    jwt_auth = make_jwt_auth(settings)
    proxies = networks(settings.trusted_proxies)
    vault = Vault.from_data_dir(settings.data_dir)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        embedded: db.EmbeddedPostgres | None = None
        target = dsn or settings.database_url
        if target is None:
            embedded = db.EmbeddedPostgres(settings.data_dir / "pgdata")
            target = embedded.start()
        if migrate_on_start:
            async with db.connect(target) as conn:
                await prepare_database(conn, settings)
        app.state.pool = await db.create_pool(target, min_size=pool_size[0], max_size=pool_size[1],
                                              command_timeout=settings.db_command_timeout,
                                              statement_timeout=settings.db_statement_timeout)
        try:
            async with app.state.pool.acquire() as conn:
                await check_keyring(conn, vault)  # a wrong or lost data key stops the start, with the fix
                await prune(conn, settings.idempotency_ttl_hours)  # stored answers past their TTL (they hold names)
            listening = asyncio.Event()
            tasks = [asyncio.create_task(keep_audit_chain(app.state.pool, settings,
                                                     audit.Keeper.of(vault, settings.data_dir))),
                     asyncio.create_task(app.state.accounts.listen(target, listening))]
            # Serve once the account cache listens (or after a few seconds uncached: it keeps trying).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listening.wait(), timeout=5)
            # What start-up built (modules, routes, numpy, scikit-learn: ~200,000 objects) lives as long as
            # the process: frozen out of the cyclic collector, whose full passes over it paused a request
            # by 100 ms and more (the recommendations benchmark's p99). Garbage is still freed by refcount.
            gc.freeze()
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                # Bounded: a background task stuck in a driver call must not hold the shutdown.
                await asyncio.wait(tasks, timeout=10)
        finally:
            gc.unfreeze()  # what this app froze may now be garbage (tests start many apps in one process)
            try:
                await asyncio.wait_for(app.state.pool.close(), timeout=10)
            except TimeoutError:
                log.warning("database connections still busy after 10 s; closing them")
                app.state.pool.terminate()
            if embedded is not None:
                embedded.stop()

    openapi = OpenAPIConfig(
        title="农村劳动力技能培训 API",
        version=__version__,
        description="学校四晒一亮、入户调查、培训报名与进度统计。除 /health 与登录外，所有 /api 接口都需要 Bearer 令牌。",
        path="/schema",
        # The UI's script is vendored under /static so the docs work offline (no CDN).
        render_plugins=[
            OfflineRapidoc(js_url="/static/vendor/rapidoc-min.js", path="/",
                           favicon='<link rel="icon" href="/static/favicon.svg">'
                                   '<link rel="stylesheet" href="/static/vendor/noto-sans-sc/noto-sans-sc.css">'),
            JsonRenderPlugin(),
        ],
        components=Components(security_schemes={
            "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                                          description="POST /api/auth/token 获取令牌")}),
    )
    app = Litestar(
        route_handlers=[
            health,
            # Login attempts per client address, counted only on the login routes' router (a layer the
            # other requests do not pass); X-Forwarded-For counts only from TRAINING_TRUSTED_PROXIES.
            Router(path="/", route_handlers=[AuthController], middleware=[RateLimitConfig(
                rate_limit=("minute", settings.login_rate_per_minute), check_throttle_handler=is_login,
                identifier_for_request=lambda request: client_address(request.scope, proxies)).middleware]),
            UserController, RegionController, *CATALOGUE, *REGISTRY, *ENROLMENT, *MATCHING, *RECOMMENDATIONS,
            LedgerController,
            AuditController, *PROGRESS,
            DashboardController,
            create_static_files_router(path="/static", directories=[STATIC_DIR], opt={"exclude_from_auth": True},
                                       include_in_schema=False),
        ],
        # The catalogue shows seat figures and cancels sessions, and the registry scopes a school's people,
        # without importing enrolment: wired here.
        dependencies={**DEPENDENCIES, "reach": Provide(provide_reach),
                      "seat_counts": Provide(lambda: enrolment.seat_counts, sync_to_thread=False),
                      "cancel_enrolments": Provide(lambda: enrolment.cancel_session_enrolments, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        on_app_init=[jwt_auth.on_app_init, log_every_request],
        middleware=[idempotency_middleware],
        before_send=[add_security_headers],
        openapi_config=openapi,
        template_config=TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine),
        state=State({"settings": settings, "jwt_auth": jwt_auth,
                     "vault": vault, "accounts": AccountCache(), "proxies": proxies}),
        # JSON bodies: refused past this before they are read (uploads set their own, larger, limit).
        request_max_body_size=8 * 1024 * 1024,
        plugins=[StrictStructSchemaPlugin()],
    )
    document(app, jwt_auth)
    return app
