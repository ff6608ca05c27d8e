"""The ledger in SQL: what an import checks rows against, the staging tables and set-based upserts that
write a whole ledger in a few statements, and the export's query."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from training.auth.policy import Scope

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


# ------------------------------------------------------------------ code tables


async def trades(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT code, name, aliases FROM trades")


async def education_names(conn: Conn) -> dict[str, str]:
    """name -> GB/T 4658 code."""
    return {r["name"]: r["code"] for r in await conn.fetch("SELECT code, name FROM education_levels")}


async def regions(conn: Conn, codes: list[str]) -> dict[str, asyncpg.Record]:
    return {r["code"]: r for r in await conn.fetch(
        "SELECT code, name, level FROM regions WHERE code = ANY($1::text[])", codes)}


# ------------------------------------------------------------------ what the rows name


async def people_by_hash(conn: Conn, counties: list[str], hashes: list[bytes]) -> dict[tuple[str, bytes], asyncpg.Record]:
    """(county, ID hash) -> the person's id and household (number, village)."""
    rows = await conn.fetch(
        """SELECT p.county_code, p.id_hash, p.id, h.household_no, h.village_code FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE p.county_code = ANY($1::text[]) AND p.id_hash = ANY($2::bytea[])""",
        counties, hashes)
    return {(r["county_code"], bytes(r["id_hash"])): r for r in rows}


async def lock_people_by_hash(conn: Conn, counties: list[str], hashes: list[bytes]) -> None:
    """Lock the people stored under these ID hashes until the caller's transaction ends."""
    await conn.execute(
        """SELECT 1 FROM people WHERE county_code = ANY($1::text[]) AND id_hash = ANY($2::bytea[])
           ORDER BY county_code, id FOR UPDATE""", counties, hashes)


async def people_by_id(conn: Conn, counties: list[str] | None, ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    """The stored identity of exported people: what a masked ID number or phone in their row stands for."""
    rows = await conn.fetch(
        """SELECT p.county_code, p.id, p.id_hash, p.id_enc, p.id_masked, p.phone_enc, p.phone_masked,
                  h.household_no, h.village_code
           FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE p.id = ANY($2::uuid[]) AND ($1::text[] IS NULL OR p.county_code = ANY($1))""",
        counties, ids)
    return {r["id"]: r for r in rows}


async def households_by_number(conn: Conn, counties: list[str], numbers: list[str]) -> dict[tuple[str, str], asyncpg.Record]:
    """(village, 户编号) -> the household, with its era fields (kept when a ledger has no such columns)."""
    rows = await conn.fetch(
        """SELECT id, county_code, village_code, household_no, poverty_status, lifted_year, monitor_type,
                  risk_removed FROM households
           WHERE county_code = ANY($1::text[]) AND household_no = ANY($2::text[])""",
        counties, numbers)
    return {(r["village_code"], r["household_no"]): r for r in rows}


# ------------------------------------------------------------------ writing

_STAGING = """
    CREATE TEMP TABLE ledger_households (county_code text, household_no text, village_code text, head_name text,
                                         poverty_status text, lifted_year smallint, monitor_type text,
                                         risk_removed boolean) ON COMMIT DROP;
    CREATE TEMP TABLE ledger_people (county_code text, village_code text, household_no text, name text, id_hash bytea,
                                     id_enc bytea, id_masked text, birth_date date, sex text, relation text,
                                     ethnicity text, education text, in_school boolean, left_school_year smallint,
                                     labour_capacity text, work_status text, phone_enc bytea, phone_hash bytea,
                                     phone_masked text) ON COMMIT DROP;
    CREATE TEMP TABLE ledger_surveys (county_code text, id_hash bytea, surveyed_on date, desired_trades text[],
                                      training_kind text, available_months smallint[], can_board boolean)
                                      ON COMMIT DROP;
"""

_HOUSEHOLD_FIELDS = ("head_name", "poverty_status", "lifted_year", "monitor_type", "risk_removed")
_UPSERT_HOUSEHOLDS = f"""
    WITH up AS (
        INSERT INTO households AS h (county_code, village_code, household_no, {", ".join(_HOUSEHOLD_FIELDS)},
                                     created_by)
        SELECT county_code, village_code, household_no, {", ".join(_HOUSEHOLD_FIELDS)}, $1 FROM ledger_households
        ON CONFLICT (county_code, village_code, household_no) DO UPDATE
            SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _HOUSEHOLD_FIELDS)},
                version = h.version + 1, updated_at = EXCLUDED.updated_at
            WHERE ({", ".join(f"h.{c}" for c in _HOUSEHOLD_FIELDS)})
                  IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _HOUSEHOLD_FIELDS)})
        RETURNING h.county_code, h.id, (xmax = 0) AS created
    ), logged AS (
        INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
        SELECT county_code, $1, $2, CASE WHEN created THEN 'create' ELSE 'update' END, 'household', id::text,
               '{{"source": "ledger"}}'::jsonb FROM up
    )
    SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated FROM up"""

_PERSON_FIELDS = ("name", "relation", "ethnicity", "education", "in_school", "left_school_year", "labour_capacity",
                  "work_status", "phone_hash")
_UPSERT_PEOPLE = f"""
    WITH up AS (
        INSERT INTO people AS p (county_code, household_id, name, id_hash, id_enc, id_masked, birth_date, sex,
                                 relation, ethnicity, education, in_school, left_school_year, labour_capacity,
                                 work_status, phone_enc, phone_hash, phone_masked, created_by)
        SELECT s.county_code, h.id, s.name, s.id_hash, s.id_enc, s.id_masked, s.birth_date, s.sex, s.relation,
               s.ethnicity, s.education, s.in_school, s.left_school_year, s.labour_capacity, s.work_status,
               s.phone_enc, s.phone_hash, s.phone_masked, $1
        FROM ledger_people s
        JOIN households h ON h.county_code = s.county_code AND h.village_code = s.village_code
                         AND h.household_no = s.household_no
        ON CONFLICT (county_code, id_hash) DO UPDATE
            SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _PERSON_FIELDS)},
                phone_enc = EXCLUDED.phone_enc, phone_masked = EXCLUDED.phone_masked,
                version = p.version + 1, updated_at = EXCLUDED.updated_at
            WHERE ({", ".join(f"p.{c}" for c in _PERSON_FIELDS)})
                  IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _PERSON_FIELDS)})
        RETURNING p.county_code, p.id, (xmax = 0) AS created
    ), logged AS (
        INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
        SELECT county_code, $1, $2, CASE WHEN created THEN 'create' ELSE 'update' END, 'person', id::text,
               '{{"source": "ledger"}}'::jsonb FROM up
    )
    SELECT count(*) FILTER (WHERE created) AS created, count(*) FILTER (WHERE NOT created) AS updated FROM up"""

_INSERT_SURVEYS = """
    WITH ins AS (
        INSERT INTO surveys (county_code, person_id, surveyed_on, desired_trades, training_kind, available_months,
                             can_board, surveyor_id, surveyor_name)
        SELECT p.county_code, p.id, s.surveyed_on, s.desired_trades, s.training_kind, s.available_months,
               s.can_board, $1, $2
        FROM ledger_surveys s JOIN people p ON p.county_code = s.county_code AND p.id_hash = s.id_hash
        WHERE NOT EXISTS (
            SELECT 1 FROM surveys x WHERE x.county_code = p.county_code AND x.person_id = p.id
              AND x.surveyed_on = s.surveyed_on AND x.desired_trades = s.desired_trades
              AND x.training_kind IS NOT DISTINCT FROM s.training_kind AND x.available_months = s.available_months
              AND x.can_board IS NOT DISTINCT FROM s.can_board)
        RETURNING county_code, id
    ), logged AS (
        INSERT INTO audit_log (county_code, actor_id, actor_name, action, object_type, object_id, changes)
        SELECT county_code, $1, $2, 'create', 'survey', id::text, '{"source": "ledger"}'::jsonb FROM ins
    )
    SELECT count(*) FROM ins"""


async def create_staging(conn: Conn) -> None:
    """The staging tables, for the caller's transaction (dropped at its end)."""
    await conn.execute(_STAGING)


async def write(conn: Conn, actor_id: UUID, actor_name: str, households: list[Any], people: list[Any],
                surveys: list[Any]) -> dict[str, int]:
    """Stage one chunk of checked rows with COPY and upsert them: unchanged rows keep their version and
    leave no audit row. The caller holds the transaction and made the staging tables (`create_staging`);
    a chunk's people belong to households of this chunk or of one written before it."""
    await conn.execute("TRUNCATE ledger_households, ledger_people, ledger_surveys")
    await conn.copy_records_to_table("ledger_households", records=households)
    await conn.copy_records_to_table("ledger_people", records=people)
    await conn.copy_records_to_table("ledger_surveys", records=surveys)
    h = await conn.fetchrow(_UPSERT_HOUSEHOLDS, actor_id, actor_name)
    p = await conn.fetchrow(_UPSERT_PEOPLE, actor_id, actor_name)
    assert h is not None and p is not None
    surveys_created: int = await conn.fetchval(_INSERT_SURVEYS, actor_id, actor_name)
    return {"households_created": h["created"], "households_updated": h["updated"], "people_created": p["created"],
            "people_updated": p["updated"], "surveys_created": surveys_created}


# ------------------------------------------------------------------ export


async def export_rows(conn: Conn, scope: Scope, village_code: str | None) -> list[asyncpg.Record]:
    """Every person in reach with their household and current need, names rather than codes."""
    return await conn.fetch(
        """SELECT h.id AS household_id, h.household_no, h.village_code, h.head_name, h.poverty_status,
                  h.lifted_year, h.monitor_type, h.risk_removed, p.id AS person_id, p.name, p.id_masked, p.id_enc,
                  p.relation, p.ethnicity, e.name AS education_name, p.in_school, p.left_school_year,
                  p.labour_capacity, p.work_status, p.phone_masked, p.phone_enc, p.county_code,
                  ARRAY(SELECT t.name FROM unnest(s.desired_trades) WITH ORDINALITY u(code, n)
                        JOIN trades t ON t.code = u.code ORDER BY u.n) AS trade_names,
                  s.training_kind, s.available_months, s.can_board, s.surveyed_on
           FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           JOIN education_levels e ON e.code = p.education
           LEFT JOIN LATERAL (SELECT * FROM surveys x WHERE x.county_code = p.county_code AND x.person_id = p.id
                              ORDER BY x.surveyed_on DESC, x.created_at DESC LIMIT 1) s ON true
           WHERE ($1::text[] IS NULL OR h.county_code = ANY($1)) AND ($2::text[] IS NULL OR h.village_code LIKE ANY($2))
             AND ($3::text IS NULL OR h.village_code = $3)
           ORDER BY h.village_code, h.household_no, h.id, (p.relation = '户主') DESC, p.birth_date, p.id""",
        scope.counties, scope.village_patterns, village_code,
    )
