"""Base types for request and response bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import asyncpg
import msgspec

T = TypeVar("T")


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown fields are refused so typos never pass silently."""


class Page(msgspec.Struct, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int
    limit: int
    offset: int


async def paged(fetch: Callable[[int, int], Awaitable[list[asyncpg.Record]]],
                convert: Callable[[asyncpg.Record], T], limit: int, offset: int) -> Page[T]:
    """A page from a query whose rows carry `count(*) OVER () AS total`. Past the last row the page
    is empty but the total is still the real one, so a client can step back."""
    rows = await fetch(limit, offset)
    if rows:
        total = int(rows[0]["total"])
    elif offset > 0:
        probe = await fetch(1, 0)
        total = int(probe[0]["total"]) if probe else 0
    else:
        total = 0
    return Page(items=[convert(r) for r in rows], total=total, limit=limit, offset=offset)
