"""Base types for request and response bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import asyncpg
import msgspec

from training.core.text import printable

T = TypeVar("T")


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown fields are refused so typos never pass silently, and every text in it
    (a field, or an item of a list) loses its unprintable characters as it is decoded (msgspec runs
    `__post_init__` after decoding and after `convert`), so no JSON path can store what the ledger's
    cells would not: one place for every route, the offline sync included."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            tidy = _printable(value)
            if isinstance(value, str) and value.strip() and not tidy.strip():
                # Nothing visible was sent: refused by name rather than stored empty past a min_length.
                raise ValueError(f"Only unprintable characters in `{name}`")
            if tidy is not value:
                msgspec.structs.force_setattr(self, name, tidy)


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        tidy = printable(value)
        return value if tidy == value else tidy
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        items = [_printable(v) for v in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            return type(value)(items)
    return value


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
