"""Request-scoped dependencies shared by every area: a pooled connection, the caller, today's date."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Dependency, Parameter

from training.core.security import Principal

Conn: TypeAlias = Annotated[asyncpg.pool.PoolConnectionProxy, Dependency(skip_validation=True)]


async def provide_conn(state: State) -> AsyncGenerator[asyncpg.pool.PoolConnectionProxy, None]:
    async with state.pool.acquire() as conn:
        yield conn


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user


def provide_today(state: State) -> date:
    """Today in the county's time zone: what "not started" and "not past" mean to a clerk."""
    return datetime.now(state.settings.tz).date()


def provide_limit(page_size: Annotated[int, Parameter(query="limit", ge=1, le=500, description="每页条数")] = 50) -> int:
    return page_size


def provide_offset(skip: Annotated[int, Parameter(query="offset", ge=0, description="跳过条数")] = 0) -> int:
    return skip


DEPENDENCIES = {
    "conn": Provide(provide_conn),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "today": Provide(provide_today, sync_to_thread=False),
    "limit": Provide(provide_limit, sync_to_thread=False),
    "offset": Provide(provide_offset, sync_to_thread=False),
}
