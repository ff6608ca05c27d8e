"""LIKE patterns from what a user typed: `%`, `_` and `\\` in the input match themselves, so searching
"50%" finds "50%" and not "500", and "_" finds an underscore, not every row. PostgreSQL's default LIKE
escape character is the backslash."""

from __future__ import annotations


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(query: str | None) -> str | None:
    """`LIKE` pattern for "has `query` anywhere"; None stays None (no filter)."""
    return None if query is None else f"%{escape_like(query)}%"


def starts_with(query: str | None) -> str | None:
    """`LIKE` pattern for "begins with `query`"; None stays None (no filter)."""
    return None if query is None else f"{escape_like(query)}%"
