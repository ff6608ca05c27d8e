"""Quotas in SQL (the progress slice owns only the quotas; every count comes from its owner's service)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def upsert_quota(conn: Conn, county_code: str, unit: str, values: dict[str, Any],
                       updated_by: UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO quotas AS q (county_code, year, unit, region_code, school_id, target_person_times,
                                    target_persons, target_households, target_lianghousheng, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (county_code, year, unit) DO UPDATE SET
               target_person_times = excluded.target_person_times, target_persons = excluded.target_persons,
               target_households = excluded.target_households,
               target_lianghousheng = excluded.target_lianghousheng, updated_by = excluded.updated_by,
               updated_at = excluded.updated_at
           RETURNING county_code, year, region_code, school_id, target_person_times, target_persons,
                     target_households, target_lianghousheng""",
        county_code, values["year"], unit, values["region_code"], values["school_id"], values["target_person_times"],
        values["target_persons"], values["target_households"], values["target_lianghousheng"], updated_by,
    )
    assert row is not None
    return row


async def quotas(conn: Conn, counties: list[str] | None, year: int) -> list[asyncpg.Record]:
    """Every quota of the counties in the year (a county has one, and a few townships and schools)."""
    return await conn.fetch(
        """SELECT county_code, year, region_code, school_id, target_person_times, target_persons,
                  target_households, target_lianghousheng
           FROM quotas WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND year = $2
           ORDER BY county_code, region_code NULLS LAST, school_id""",
        counties, year,
    )
