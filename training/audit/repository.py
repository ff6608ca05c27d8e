"""The audit log in SQL (written by `training.core.audit.record`, read here)."""

from __future__ import annotations

from datetime import date

import asyncpg

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def entries(conn: Conn, counties: list[str] | None, *, object_type: str | None, object_id: str | None,
                  actor: str | None, action: str | None, since: date | None, until: date | None, limit: int,
                  offset: int) -> list[asyncpg.Record]:
    """Newest first; rows carry `count(*) OVER () AS total`."""
    return await conn.fetch(
        """SELECT *, count(*) OVER () AS total FROM audit_log
           WHERE ($1::text[] IS NULL OR county_code = ANY($1))
             AND ($2::text IS NULL OR object_type = $2) AND ($3::text IS NULL OR object_id = $3)
             AND ($4::text IS NULL OR actor_name = $4) AND ($5::text IS NULL OR action = $5)
             AND ($6::date IS NULL OR at >= $6) AND ($7::date IS NULL OR at < $7::date + 1)
           ORDER BY at DESC, id DESC LIMIT $8 OFFSET $9""",
        counties, object_type, object_id, actor, action, since, until, limit, offset,
    )
