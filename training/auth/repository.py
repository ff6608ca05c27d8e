"""Accounts in SQL."""

from __future__ import annotations

from uuid import UUID

import asyncpg

_COLUMNS = "id, username, password_hash, role, county_code, school_id, region_codes, active"


async def by_username(conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower($1)", username)


async def by_id(conn: asyncpg.Connection | asyncpg.Pool, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", user_id)


async def insert(
    conn: asyncpg.Connection, *, username: str, password_hash: str, role: str, county_code: str | None,
    school_id: UUID | None, region_codes: list[str],
) -> UUID:
    user_id: UUID = await conn.fetchval(
        """INSERT INTO users (username, password_hash, role, county_code, school_id, region_codes)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        username, password_hash, role, county_code, school_id, region_codes,
    )
    return user_id


async def set_password(conn: asyncpg.Connection, user_id: UUID, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def school_county(conn: asyncpg.Connection, school_id: UUID) -> str | None:
    county: str | None = await conn.fetchval("SELECT county_code FROM schools WHERE id = $1", school_id)
    return county


async def existing_regions(conn: asyncpg.Connection, codes: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT code FROM regions WHERE code = ANY($1::text[])", codes)
    return {r["code"] for r in rows}
