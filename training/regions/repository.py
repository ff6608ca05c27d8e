from __future__ import annotations

import asyncpg

from training.core import like
from training.regions.schemas import RegionRow

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def list_regions(conn: Conn, parent_code: str | None, level: str | None, q: str | None,
                       counties: list[str] | None, prefixes: list[str] | None, limit: int,
                       offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT code, name, parent_code, level, key_poverty, lat, lon, count(*) OVER () AS total FROM regions
           WHERE ($1::text IS NULL OR parent_code = $1)
             AND ($2::text IS NULL OR level = $2)
             AND ($3::text IS NULL OR name LIKE $3 OR code LIKE $8)
             AND ($4::text[] IS NULL OR county_code = ANY($4))
             AND ($1::text IS NOT NULL OR $2::text IS NOT NULL OR $3::text IS NOT NULL OR level = 'county')
             -- inside one of the caller's regions, or on the way down to one
             AND ($7::text[] IS NULL OR EXISTS (
                   SELECT 1 FROM unnest($7::text[]) AS p(prefix)
                   WHERE code LIKE p.prefix || '%'
                      OR p.prefix LIKE (CASE level WHEN 'county' THEN left(code, 6)
                                                   WHEN 'township' THEN left(code, 9) ELSE code END) || '%'))
           ORDER BY code LIMIT $5 OFFSET $6""",
        parent_code, level, like.contains(q), counties, limit, offset, prefixes, like.starts_with(q),
    )


async def existing_codes(conn: Conn, codes: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT code FROM regions WHERE code = ANY($1::text[])", codes)
    return {r["code"] for r in rows}


async def upsert(conn: Conn, rows: list[RegionRow]) -> tuple[int, int]:
    """Insert or update regions, parents before children. Returns (inserted, updated)."""
    order = {"county": 0, "township": 1, "village": 2}
    ordered = sorted(rows, key=lambda r: (order[r.level], r.code))
    result = await conn.fetch(
        """INSERT INTO regions (code, name, parent_code, level, key_poverty, lat, lon)
           SELECT code, name, parent_code, level, key_poverty, lat, lon FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[],
                                $6::double precision[], $7::double precision[]) WITH ORDINALITY
                         AS u(code, name, parent_code, level, key_poverty, lat, lon, ord)
           ORDER BY ord
           ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,
               level = EXCLUDED.level, key_poverty = EXCLUDED.key_poverty, lat = EXCLUDED.lat, lon = EXCLUDED.lon
           RETURNING (xmax = 0) AS inserted""",
        [r.code for r in ordered], [r.name for r in ordered], [r.parent_code for r in ordered],
        [r.level for r in ordered], [r.key_poverty for r in ordered], [r.lat for r in ordered],
        [r.lon for r in ordered],
    )
    inserted = sum(1 for r in result if r["inserted"])
    return inserted, len(result) - inserted


async def places(conn: Conn, prefix: str) -> list[asyncpg.Record]:
    """Regions whose code starts with the prefix, with names and coordinates."""
    return await conn.fetch("SELECT code, name, level, lat, lon FROM regions WHERE code LIKE $1 || '%' ORDER BY code",
                            prefix)


async def region(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT code, name, level, county_code FROM regions WHERE code = $1", code)


async def names(conn: Conn, codes: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT code, name FROM regions WHERE code = ANY($1::text[])", codes)
