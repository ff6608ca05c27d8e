"""The append-only audit log: who did what to which object. Never pass sensitive values in `changes`."""

from __future__ import annotations

from typing import Any

import asyncpg

from training.core.security import Principal


async def record(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, actor: Principal | None, action: str,
    object_type: str, object_id: object, county_code: str, changes: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        county_code, actor.id if actor else None, actor.username if actor else "system", action, object_type,
        str(object_id) if object_id is not None else None, changes or {},
    )
