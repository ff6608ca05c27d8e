"""The demo's one question to the database: is it loaded already?"""

from __future__ import annotations

import asyncpg


async def user_exists(conn: asyncpg.Connection, username: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", username))
