"""Quotas in SQL (the progress slice owns only the quotas; every count comes from its owner's service)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


_QUOTA_OUT = """county_code, year, region_code, school_id, target_person_times, target_persons,
                target_households, target_lianghousheng, version"""


async def upsert_quota(conn: Conn, county_code: str, unit: str, values: dict[str, Any],
                       updated_by: UUID) -> asyncpg.Record | None:
    """Set a quota. With values["version"] (the one the caller saw; 0: none set yet) only if it is still the
    current one, else None. The check and the write are one statement, so two callers cannot both win."""
    args = (county_code, values["year"], unit, values["target_person_times"], values["target_persons"],
            values["target_households"], values["target_lianghousheng"], updated_by)
    if values["version"]:
        return await conn.fetchrow(
            f"""UPDATE quotas SET target_person_times = $4, target_persons = $5, target_households = $6,
                   target_lianghousheng = $7, updated_by = $8, updated_at = now(), version = version + 1
               WHERE county_code = $1 AND year = $2 AND unit = $3 AND version = $9
               RETURNING {_QUOTA_OUT}""", *args, values["version"])
    return await conn.fetchrow(
        f"""INSERT INTO quotas AS q (county_code, year, unit, target_person_times, target_persons,
                                     target_households, target_lianghousheng, updated_by, region_code, school_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (county_code, year, unit) DO UPDATE SET
               target_person_times = excluded.target_person_times, target_persons = excluded.target_persons,
               target_households = excluded.target_households,
               target_lianghousheng = excluded.target_lianghousheng, updated_by = excluded.updated_by,
               updated_at = excluded.updated_at, version = q.version + 1
           WHERE $11::int IS NULL
           RETURNING {_QUOTA_OUT}""", *args, values["region_code"], values["school_id"], values["version"])


async def quota_version(conn: Conn, county_code: str, year: int, unit: str) -> int:
    """The current version of a quota (0: none set)."""
    version: int | None = await conn.fetchval(
        "SELECT version FROM quotas WHERE county_code = $1 AND year = $2 AND unit = $3", county_code, year, unit)
    return version or 0


async def quotas(conn: Conn, counties: list[str] | None, year: int) -> list[asyncpg.Record]:
    """Every quota of the counties in the year (a county has one, and a few townships and schools)."""
    return await conn.fetch(
        f"""SELECT {_QUOTA_OUT}
           FROM quotas WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND year = $2
           ORDER BY county_code, region_code NULLS LAST, school_id""",
        counties, year,
    )
