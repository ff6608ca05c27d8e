"""Matching in SQL: models, which model each county uses, and the log of shown recommendations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

GLOBAL = "000000"  # active_models row for every county without a choice of its own
ACTIVATION_LOCK = 5134350010


async def active_version(conn: Conn, county_code: str) -> str | None:
    """The county's own choice, else the system-wide one. One indexed row: cheap enough to ask on every
    scoring call, which is how every process sees a switch at once."""
    version: str | None = await conn.fetchval(
        """SELECT version FROM active_models WHERE county_code IN ($1, $2)
           ORDER BY county_code = $1 DESC LIMIT 1""", county_code, GLOBAL)
    return version


async def artifact(conn: Conn, version: str) -> bytes | None:
    data: bytes | None = await conn.fetchval("SELECT artifact FROM models WHERE version = $1", version)
    return data


async def model_count(conn: Conn) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM models")
    return count


async def insert_model(conn: Conn, values: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO models (version, name, artifact, card, metrics, beats_baselines, trained_on, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (version) DO NOTHING""",
        values["version"], values["name"], values["artifact"], values["card"], values["metrics"],
        values["beats_baselines"], values["trained_on"], values["created_at"])


async def lock_activations(conn: Conn) -> None:
    """Activations take turns (within the caller's transaction)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", ACTIVATION_LOCK)


async def activate(conn: Conn, county_code: str, version: str, by: UUID | None) -> None:
    await conn.execute(
        # excluded.activated_at is the column default, now(): Citus refuses now() itself in DO UPDATE.
        """INSERT INTO active_models (county_code, version, activated_by) VALUES ($1, $2, $3)
           ON CONFLICT (county_code) DO UPDATE SET version = excluded.version,
               activated_at = excluded.activated_at, activated_by = excluded.activated_by""",
        county_code, version, by)


async def models(conn: Conn, version: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT m.version, m.name, m.created_at, m.metrics, m.beats_baselines, m.trained_on,
                  ARRAY(SELECT a.county_code FROM active_models a WHERE a.version = m.version
                        ORDER BY a.county_code) AS active_in
           FROM models m WHERE $1::text IS NULL OR m.version = $1 ORDER BY m.created_at DESC, m.version""",
        version)


async def card(conn: Conn, version: str) -> dict[str, Any] | None:
    value: dict[str, Any] | None = await conn.fetchval("SELECT card FROM models WHERE version = $1", version)
    return value


async def insert_shown(conn: Conn, county_code: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (id, person_id, session_id, model_version, score, rank, reasons, context, shown_by)."""
    await conn.executemany(
        """INSERT INTO recommendations (county_code, id, person_id, session_id, model_version, score, rank,
                                        reasons, context, shown_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        [(county_code, *row) for row in rows])


async def shown_pairs(conn: Conn, county_code: str, before: datetime) -> list[asyncpg.Record]:
    """Every distinct pair shown before a moment, with when it was first shown."""
    return await conn.fetch(
        """SELECT person_id, session_id, min(shown_at) AS shown_at FROM recommendations
           WHERE county_code = $1 AND shown_at < $2 GROUP BY person_id, session_id""",
        county_code, before)


async def uptake(conn: Conn, counties: list[str] | None, region_prefix: str | None,
                 model_version: str | None) -> list[asyncpg.Record]:
    # One aggregate over the recommendation log, the enrolments made from it and the people's villages.
    # Shipping every row to Python through the registry's and enrolment's services instead would move
    # the whole log for a count; this read-only GROUP BY is the one place matching reads their tables.
    return await conn.fetch(
        """SELECT r.model_version, count(*) AS shown, count(DISTINCT (r.person_id, r.session_id)) AS pairs,
                  count(DISTINCT r.person_id) AS people, count(e.id) AS enrolled,
                  count(e.id) FILTER (WHERE e.status = 'completed' AND e.passed IS NOT FALSE) AS completed,
                  min(r.shown_at) AS first_shown, max(r.shown_at) AS last_shown
           FROM recommendations r
           JOIN people p ON p.county_code = r.county_code AND p.id = r.person_id
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           LEFT JOIN enrolments e ON e.county_code = r.county_code AND e.recommendation_id = r.id
           WHERE ($1::text[] IS NULL OR r.county_code = ANY($1))
             AND ($2::text IS NULL OR h.village_code LIKE $2 || '%')
             AND ($3::text IS NULL OR r.model_version = $3)
           GROUP BY r.model_version ORDER BY min(r.shown_at), r.model_version""",
        counties, region_prefix, model_version)
