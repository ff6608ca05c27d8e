"""A request's dependencies are made one after the other in the request's own task (Litestar would start
a task group per request for them: README "Benchmarks"), and a failing one still returns what the
others took."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any, cast

import httpx
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide

from training.core.deps import resolve_dependencies_in_order


def client(app: Litestar) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=cast(Any, app)), base_url="http://test")


async def test_dependencies_are_made_in_the_requests_own_task() -> None:
    resolve_dependencies_in_order()
    tasks: list[asyncio.Task[Any] | None] = []

    async def first() -> int:
        tasks.append(asyncio.current_task())
        return 1

    async def second() -> int:
        tasks.append(asyncio.current_task())
        return 2

    @get("/", dependencies={"a": Provide(first), "b": Provide(second)})
    async def handler(a: NamedDependency[int], b: NamedDependency[int]) -> int:
        tasks.append(asyncio.current_task())
        return a + b

    async with client(Litestar([handler])) as http:
        response = await http.get("/")
    assert response.json() == 3
    assert len(tasks) == 3 and len(set(tasks)) == 1


async def test_a_failing_dependency_returns_the_connection_another_one_took() -> None:
    resolve_dependencies_in_order()
    events: list[str] = []

    async def conn() -> AsyncGenerator[str, None]:
        events.append("acquired")
        try:
            yield "conn"
        finally:
            events.append("released")

    async def broken(conn: NamedDependency[str]) -> str:
        raise ValueError("broken")

    @get("/", dependencies={"conn": Provide(conn), "broken": Provide(broken)})
    async def handler(conn: NamedDependency[str], broken: NamedDependency[str]) -> str:
        events.append("handler")
        return conn

    async with client(Litestar([handler])) as http:
        response = await http.get("/")
    assert response.status_code == 500
    assert events == ["acquired", "released"]
