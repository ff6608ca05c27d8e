"""Request-scoped dependencies shared by every area: a pooled connection, the caller, today's date."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Annotated, Any, TypeAlias

import asyncpg
from litestar import Request
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from training.core.config import Settings
from training.core.crypto import Vault
from training.core.rules import Rule, rule_for
from training.core.security import Principal

# Handler parameter types: the parameter's name picks the dependency (conn, principal, today).
Conn: TypeAlias = NamedDependency[asyncpg.pool.PoolConnectionProxy]
Caller: TypeAlias = NamedDependency[Principal]
Today: TypeAlias = NamedDependency[date]
Secrets: TypeAlias = NamedDependency[Vault]
Rules: TypeAlias = NamedDependency[Rule]
# Paging is plain query parameters, not dependencies: Litestar validates handler parameters after it
# has registered generator-dependency cleanup, so a bad `limit` can never strand a pooled connection.
PageLimit: TypeAlias = Annotated[int, QueryParameter(ge=1, le=500, description="每页条数")]
# Bounded so a huge offset is a 400, not a driver overflow; no county has ten million rows of anything.
PageOffset: TypeAlias = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="跳过条数")]


async def provide_conn(state: State) -> AsyncGenerator[asyncpg.pool.PoolConnectionProxy, None]:
    async with state.pool.acquire() as conn:
        yield conn


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user


def provide_today(state: State) -> date:
    """Today in the county's time zone: what "not started" and "not past" mean to a clerk."""
    settings: Settings = state.settings
    return settings.today()

def provide_vault(state: State) -> Vault:
    vault: Vault = state.vault
    return vault


def provide_rule(state: State, today: Today) -> Rule:
    return rule_for(state.settings, today)


DEPENDENCIES = {
    "conn": Provide(provide_conn),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "today": Provide(provide_today, sync_to_thread=False),
    "vault": Provide(provide_vault, sync_to_thread=False),
    "rule": Provide(provide_rule, sync_to_thread=False),
}


async def _resolve_in_order(self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any],
                            kwargs: dict[str, Any]) -> DependencyCleanupGroup:
    """Litestar's KwargsModel.resolve_dependencies, one dependency after the other. Litestar starts an
    anyio task group with a task per dependency whenever two are ready together, which every request
    here has (conn, principal, today, …): 6-8 % of a read's CPU in the profile (README "Benchmarks"),
    to run in parallel what takes microseconds or waits on the one pool. A failing dependency hands
    its exception to those already made (the pooled connection goes back at once)."""
    cleanup_group = DependencyCleanupGroup()
    try:
        for batch in self.dependency_batches:
            for dependency in batch:
                await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    except BaseException as exc:
        await cleanup_group.close(exc)
        raise
    return cleanup_group


def resolve_dependencies_in_order() -> None:
    """Install `_resolve_in_order` (idempotent; checked by tests/core/test_dependency_order.py)."""
    KwargsModel.resolve_dependencies = _resolve_in_order  # type: ignore[method-assign]
