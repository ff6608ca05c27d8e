"""The catalogue in SQL. `counties` arguments are the caller's readable counties (None: all)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from training.core import like
from training.core.db import one_county

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

# Names of a row's trade codes, in the order of the codes.
_TRADE_NAMES = """ARRAY(SELECT t.name FROM unnest({alias}.trade_codes) WITH ORDINALITY AS u(code, ord)
                        JOIN trades t ON t.code = u.code ORDER BY u.ord) AS trade_names"""

# ------------------------------------------------------------------ reference look-ups


async def search_trades(conn: Conn, q: str | None, category: str | None, focus: bool | None,
                        limit: int) -> list[asyncpg.Record]:
    """Trades whose code starts with `q`, or whose name, category or a common name (alias) contains it:
    "家政" finds 育婴员 and 保洁员 by their category. Exact matches first, then names, then the rest."""
    return await conn.fetch(
        """SELECT code, name, edition, category, focus, aliases FROM trades
           WHERE ($1::text IS NULL OR code LIKE $5 OR name LIKE $6 OR trade_terms(category, aliases) LIKE $6)
             AND ($2::text IS NULL OR category = $2)
             AND ($3::boolean IS NULL OR focus = $3)
           ORDER BY CASE WHEN $1::text IS NULL OR code = $1 OR name = $1 THEN 0
                         WHEN $1 = ANY(aliases) THEN 1
                         WHEN name LIKE $6 THEN 2
                         WHEN category = $1 THEN 3
                         ELSE 4 END,
                    focus DESC, code
           LIMIT $4""",
        q, category, focus, limit, like.starts_with(q), like.contains(q),
    )


async def education_levels(conn: Conn) -> list[asyncpg.Record]:
    # The code table's own order (GB/T 4658: 毕业, 结业, 肄业 of each level, highest level first), as clerks know it.
    return await conn.fetch("SELECT code, name, rank FROM education_levels ORDER BY code")


async def known_trades(conn: Conn, codes: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT code FROM trades WHERE code = ANY($1::text[])", codes)
    return {r["code"] for r in rows}


async def education_exists(conn: Conn, code: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM education_levels WHERE code = $1)", code))


async def region(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT code, name, parent_code, level, key_poverty, county_code FROM regions WHERE code = $1", code
    )


async def regions(conn: Conn, codes: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT code, name, level, key_poverty, county_code FROM regions WHERE code = ANY($1::text[])", codes
    )


# ------------------------------------------------------------------ schools


async def insert_school(conn: Conn, county_code: str, name: str, kind: str, address: str | None,
                        phone: str | None) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO schools (county_code, name, kind, address, phone) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (county_code, name) DO NOTHING
           RETURNING id, county_code, name, kind, address, phone, created_at""",
        county_code, name, kind, address, phone,
    )
    return row  # type: ignore[return-value]


async def list_schools(conn: Conn, counties: list[str] | None, q: str | None, kind: str | None,
                       limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, county_code, name, kind, address, phone, created_at, count(*) OVER () AS total
           FROM schools
           WHERE ($1::text[] IS NULL OR county_code = ANY($1))
             AND ($2::text IS NULL OR name LIKE $2)
             AND ($3::text IS NULL OR kind = $3)
           ORDER BY county_code, name LIMIT $4 OFFSET $5""",
        counties, like.contains(q), kind, limit, offset,
    )


async def get_school(conn: Conn, counties: list[str] | None, school_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, county_code, name, kind, address, phone, created_at FROM schools
           WHERE id = $2 AND ($1::text[] IS NULL OR county_code = ANY($1))""",
        counties, school_id,
    )


async def insert_major(conn: Conn, county_code: str, school_id: UUID, name: str,
                       trade_codes: list[str]) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""WITH m AS (INSERT INTO majors (county_code, school_id, name, trade_codes) VALUES ($1, $2, $3, $4)
                       ON CONFLICT (county_code, school_id, name) DO NOTHING RETURNING *)
            SELECT m.*, {_TRADE_NAMES.format(alias="m")} FROM m""",
        county_code, school_id, name, trade_codes,
    )


async def list_majors(conn: Conn, county_code: str, school_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT m.*, {_TRADE_NAMES.format(alias="m")} FROM majors m
            WHERE m.county_code = $1 AND m.school_id = $2 ORDER BY m.name""",
        county_code, school_id,
    )


async def insert_teacher(conn: Conn, county_code: str, school_id: UUID, name: str, title: str | None,
                         trade_codes: list[str], skill_level: str | None) -> asyncpg.Record:
    return await conn.fetchrow(  # type: ignore[return-value]
        f"""WITH t AS (INSERT INTO teachers (county_code, school_id, name, title, trade_codes, skill_level)
                       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
            SELECT t.*, {_TRADE_NAMES.format(alias="t")} FROM t""",
        county_code, school_id, name, title, trade_codes, skill_level,
    )


async def list_teachers(conn: Conn, county_code: str, school_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT t.*, {_TRADE_NAMES.format(alias="t")} FROM teachers t
            WHERE t.county_code = $1 AND t.school_id = $2 ORDER BY t.name, t.id""",
        county_code, school_id,
    )


async def insert_equipment(conn: Conn, county_code: str, school_id: UUID, name: str, quantity: int,
                           trade_codes: list[str]) -> asyncpg.Record:
    return await conn.fetchrow(  # type: ignore[return-value]
        f"""WITH e AS (INSERT INTO equipment (county_code, school_id, name, quantity, trade_codes)
                       VALUES ($1, $2, $3, $4, $5) RETURNING *)
            SELECT e.*, {_TRADE_NAMES.format(alias="e")} FROM e""",
        county_code, school_id, name, quantity, trade_codes,
    )


async def list_equipment(conn: Conn, county_code: str, school_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT e.*, {_TRADE_NAMES.format(alias="e")} FROM equipment e
            WHERE e.county_code = $1 AND e.school_id = $2 ORDER BY e.name, e.id""",
        county_code, school_id,
    )


async def teachers_of_school(conn: Conn, county_code: str, school_id: UUID,
                             teacher_ids: list[UUID]) -> set[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM teachers WHERE county_code = $1 AND school_id = $2 AND id = ANY($3::uuid[])",
        county_code, school_id, teacher_ids,
    )
    return {r["id"] for r in rows}


# ------------------------------------------------------------------ courses

_COURSE_SELECT = """
    SELECT c.id, c.county_code, c.school_id, s.name AS school_name, c.title, c.trade_code,
           t.name AS trade_name, c.kind, c.hours, c.skill_level, c.certificate, c.min_age, c.max_age,
           c.min_education, e.name AS min_education_name, c.description, c.created_at
    FROM courses c
    JOIN schools s ON s.county_code = c.county_code AND s.id = c.school_id
    JOIN trades t ON t.code = c.trade_code
    LEFT JOIN education_levels e ON e.code = c.min_education"""


async def insert_course(conn: Conn, county_code: str, values: dict[str, Any]) -> UUID:
    course_id: UUID = await conn.fetchval(
        """INSERT INTO courses (county_code, school_id, title, trade_code, kind, hours, skill_level,
                                certificate, min_age, max_age, min_education, description)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id""",
        county_code, values["school_id"], values["title"], values["trade_code"], values["kind"],
        values["hours"], values["skill_level"], values["certificate"], values["min_age"], values["max_age"],
        values["min_education"], values["description"],
    )
    return course_id


async def get_course(conn: Conn, counties: list[str] | None, course_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        _COURSE_SELECT + " WHERE c.id = $2 AND ($1::text[] IS NULL OR c.county_code = ANY($1))",
        counties, course_id,
    )


async def list_courses(conn: Conn, counties: list[str] | None, *, school_id: UUID | None,
                       trade_code: str | None, kind: str | None, category: str | None, q: str | None,
                       limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        _COURSE_SELECT.replace("SELECT c.id,", "SELECT count(*) OVER () AS total, c.id,", 1)
        + """ WHERE ($1::text[] IS NULL OR c.county_code = ANY($1))
                AND ($2::uuid IS NULL OR c.school_id = $2)
                AND ($3::text IS NULL OR c.trade_code = $3)
                AND ($4::text IS NULL OR c.kind = $4)
                AND ($5::text IS NULL OR t.category = $5)
                AND ($6::text IS NULL OR c.title LIKE $6 OR t.name LIKE $6)
              ORDER BY c.county_code, s.name, c.title, c.id LIMIT $7 OFFSET $8""",
        counties, school_id, trade_code, kind, category, like.contains(q), limit, offset,
    )


async def list_school_courses(conn: Conn, county_code: str, school_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        _COURSE_SELECT + " WHERE c.county_code = $1 AND c.school_id = $2 ORDER BY c.title, c.id",
        county_code, school_id,
    )


# ------------------------------------------------------------------ sessions

# No figure that depends on enrolments here: seats left, enrolled and waitlisted come from the enrolment
# slice (catalogue.service.SeatCounts).
_SESSION_SELECT = """
    SELECT se.id, se.county_code, se.course_id, c.title AS course_title, c.kind AS course_kind,
           se.school_id, sc.name AS school_name, c.trade_code, t.name AS trade_name,
           se.starts_on, se.ends_on, se.village_code, v.name AS village_name,
           tw.code AS township_code, tw.name AS township_name, se.venue, se.capacity, se.schedule, se.status, se.published_at, se.created_at,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('id', te.id, 'name', te.name) ORDER BY te.name, te.id)
                     FROM session_teachers st
                     JOIN teachers te ON te.county_code = st.county_code AND te.id = st.teacher_id
                     WHERE st.county_code = se.county_code AND st.session_id = se.id), '[]'::jsonb) AS teachers
    FROM sessions se
    JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
    JOIN schools sc ON sc.county_code = se.county_code AND sc.id = se.school_id
    JOIN trades t ON t.code = c.trade_code
    JOIN regions v ON v.code = se.village_code
    JOIN regions tw ON tw.code = v.parent_code"""

# Drafts are the school's own working copies: visible to their school, admins and officials.
_DRAFT_VISIBLE = "(se.status <> 'draft' OR $2::boolean OR se.school_id = $3)"


async def insert_session(conn: Conn, county_code: str, course_id: UUID, school_id: UUID,
                         values: dict[str, Any], teacher_ids: list[UUID]) -> UUID:
    session_id: UUID = await conn.fetchval(
        """INSERT INTO sessions (county_code, course_id, school_id, starts_on, ends_on, village_code, venue,
                                 capacity, schedule)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id""",
        county_code, course_id, school_id, values["starts_on"], values["ends_on"], values["village_code"],
        values["venue"], values["capacity"], values["schedule"],
    )
    await set_session_teachers(conn, county_code, session_id, teacher_ids)
    return session_id


async def set_session_teachers(conn: Conn, county_code: str, session_id: UUID, teacher_ids: list[UUID]) -> None:
    await conn.execute("DELETE FROM session_teachers WHERE county_code = $1 AND session_id = $2",
                       county_code, session_id)
    await conn.execute(
        """INSERT INTO session_teachers (county_code, session_id, teacher_id)
           SELECT $1, $2, unnest($3::uuid[])""",
        county_code, session_id, teacher_ids,
    )


async def update_session(conn: Conn, county_code: str, session_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(
        """UPDATE sessions SET starts_on = $3, ends_on = $4, village_code = $5, venue = $6, capacity = $7,
                               schedule = $8
           WHERE county_code = $1 AND id = $2""",
        county_code, session_id, values["starts_on"], values["ends_on"], values["village_code"],
        values["venue"], values["capacity"], values["schedule"],
    )


async def get_session(conn: Conn, counties: list[str] | None, session_id: UUID, *, sees_drafts: bool,
                      school_id: UUID | None) -> asyncpg.Record | None:
    return await conn.fetchrow(
        _SESSION_SELECT + f" WHERE se.id = $4 AND ($1::text[] IS NULL OR se.county_code = ANY($1))"
        f" AND {_DRAFT_VISIBLE}",
        counties, sees_drafts, school_id, session_id,
    )


async def lock_session(conn: Conn, county_code: str, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM sessions WHERE county_code = $1 AND id = $2 FOR UPDATE", county_code, session_id
    )


# The session list's optional filters. Only the ones given become conditions: with `($n IS NULL OR col = $n)`
# for every filter, PostgreSQL's cached generic plan (chosen after five runs) could use no index and ran
# about three times slower than a plan for the filters actually given.
_SESSION_FILTERS = {"village_code": "se.village_code = {}", "township_code": "v.parent_code = {}",
                    "trade_code": "c.trade_code = {}", "status": "se.status = {}", "starts_from": "se.starts_on >= {}",
                    "starts_to": "se.starts_on <= {}", "school_id": "se.school_id = {}",
                    "course_id": "se.course_id = {}"}


async def list_sessions(conn: Conn, counties: list[str] | None, *, sees_drafts: bool, school_id: UUID | None,
                        filters: dict[str, Any], limit: int, offset: int) -> list[asyncpg.Record]:
    args: list[Any] = [counties, sees_drafts, school_id]
    where = [f"($1::text[] IS NULL OR se.county_code = ANY($1)) AND {_DRAFT_VISIBLE}"]
    for name, condition in _SESSION_FILTERS.items():
        if filters.get(name) is not None:
            args.append(filters[name])
            where.append(condition.format(f"${len(args)}"))
    return await conn.fetch(
        _SESSION_SELECT.replace("SELECT se.id,", "SELECT count(*) OVER () AS total, se.id,", 1)
        + f" WHERE {' AND '.join(where)}"
        + f" ORDER BY se.starts_on, c.title, se.id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args, limit, offset,
    )


async def session_has_qualified_teacher(conn: Conn, county_code: str, session_id: UUID, trade_code: str) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM session_teachers st
                          JOIN teachers te ON te.county_code = st.county_code AND te.id = st.teacher_id
                          JOIN sessions se ON se.county_code = st.county_code AND se.id = st.session_id
                          WHERE st.county_code = $1 AND st.session_id = $2 AND te.school_id = se.school_id
                            AND $3 = ANY(te.trade_codes))""",
        county_code, session_id, trade_code,
    ))


async def publish_session(conn: Conn, county_code: str, session_id: UUID) -> None:
    await conn.execute(
        "UPDATE sessions SET status = 'published', published_at = now() WHERE county_code = $1 AND id = $2",
        county_code, session_id,
    )


async def cancel_session(conn: Conn, county_code: str, session_id: UUID) -> str | None:
    """Draft or published -> cancelled, guarded on the status; the status it left, or None if it was
    already cancelled. The UPDATE holds the session row's lock to the end of the transaction."""
    previous: str | None = await conn.fetchval(
        """UPDATE sessions se SET status = 'cancelled'
           FROM (SELECT id, status FROM sessions WHERE county_code = $1 AND id = $2 FOR NO KEY UPDATE) old
           WHERE se.county_code = $1 AND se.id = old.id AND old.status IN ('draft', 'published')
           RETURNING old.status""",
        county_code, session_id,
    )
    return previous


async def sessions_in_county(conn: Conn, county_code: str, session_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, school_id, status FROM sessions WHERE county_code = $1 AND id = ANY($2::uuid[])",
        county_code, session_ids,
    )


# ------------------------------------------------------------------ packages and the menu


async def insert_package(conn: Conn, county_code: str, name: str, village_codes: list[str],
                         session_ids: list[UUID]) -> UUID | None:
    package_id: UUID | None = await conn.fetchval(
        """INSERT INTO packages (county_code, name) VALUES ($1, $2)
           ON CONFLICT (county_code, name) DO NOTHING RETURNING id""",
        county_code, name,
    )
    if package_id is None:
        return None
    await conn.execute(
        "INSERT INTO package_villages (county_code, package_id, village_code) SELECT $1, $2, unnest($3::text[])",
        county_code, package_id, village_codes,
    )
    await conn.execute(
        "INSERT INTO package_sessions (county_code, package_id, session_id) SELECT $1, $2, unnest($3::uuid[])",
        county_code, package_id, session_ids,
    )
    return package_id


_PACKAGE_SELECT = """
    SELECT p.id, p.county_code, p.name, p.created_at, count(*) OVER () AS total,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('code', r.code, 'name', r.name,
                                                         'key_poverty', r.key_poverty) ORDER BY r.code)
                     FROM package_villages pv JOIN regions r ON r.code = pv.village_code
                     WHERE pv.county_code = p.county_code AND pv.package_id = p.id), '[]'::jsonb) AS villages,
           ARRAY(SELECT ps.session_id FROM package_sessions ps
                 WHERE ps.county_code = p.county_code AND ps.package_id = p.id ORDER BY ps.session_id) AS session_ids
    FROM packages p"""


async def get_package(conn: Conn, counties: list[str] | None, package_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        _PACKAGE_SELECT + " WHERE p.id = $2 AND ($1::text[] IS NULL OR p.county_code = ANY($1))",
        counties, package_id,
    )


async def list_packages(conn: Conn, counties: list[str] | None, village_code: str | None, limit: int,
                        offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        _PACKAGE_SELECT
        + """ WHERE ($1::text[] IS NULL OR p.county_code = ANY($1))
                AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM package_villages pv WHERE pv.county_code = p.county_code
                                                 AND pv.package_id = p.id AND pv.village_code = $2))
              ORDER BY p.county_code, p.name LIMIT $3 OFFSET $4""",
        counties, village_code, limit, offset,
    )


async def menu(conn: Conn, village_code: str, county_code: str, today: date, limit: int, offset: int
               ) -> list[asyncpg.Record]:
    """One page of the published sessions of the village's county (`county_code`, which the caller read
    from the village's row) that have not started, in menu order, each row with the `total` of all pages.
    The packages' tables name `county_code = $3` themselves rather than `target.county_code` (a reference
    table's row, which Citus cannot prune by): so every part of the statement goes to the county's shard."""
    return await conn.fetch(
        # The village's packages are gathered once per request (they are few), not once per session:
        # a sub-query per session scanned package_sessions and cost 20 ms of a 21 ms menu at county scale.
        """WITH target AS (SELECT code, parent_code, key_poverty, county_code, lat, lon
                           FROM regions WHERE code = $1),
                pkg AS (SELECT ps.session_id, array_agg(DISTINCT p.name ORDER BY p.name) AS names
                        FROM target
                        JOIN package_villages pv ON pv.county_code = $3 AND pv.village_code = target.code
                        JOIN package_sessions ps ON ps.county_code = $3 AND ps.package_id = pv.package_id
                        JOIN packages p ON p.county_code = $3 AND p.id = ps.package_id
                        GROUP BY ps.session_id)
           SELECT count(*) OVER () AS total, se.id AS session_id, se.course_id, c.title AS course_title, c.kind AS course_kind, c.hours,
                  c.certificate, c.skill_level, se.school_id, sc.name AS school_name, c.trade_code,
                  t.name AS trade_name, se.starts_on, se.ends_on, se.village_code, v.name AS village_name,
                  tw.name AS township_name, COALESCE(se.venue, sc.name) AS venue, se.capacity, se.county_code,
                  CASE WHEN se.village_code = target.code THEN 'same_village'
                       WHEN v.parent_code = target.parent_code THEN 'same_township'
                       ELSE 'same_county' END AS nearness,
                  COALESCE(pk.names, '{}') AS package_names
           FROM target
           JOIN sessions se ON se.county_code = $3
           JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           JOIN schools sc ON sc.county_code = se.county_code AND sc.id = se.school_id
           JOIN trades t ON t.code = c.trade_code
           JOIN regions v ON v.code = se.village_code
           JOIN regions tw ON tw.code = v.parent_code
           LEFT JOIN pkg pk ON pk.session_id = se.id
           WHERE se.status = 'published' AND se.starts_on > $2
           ORDER BY (target.key_poverty AND pk.names IS NOT NULL) DESC,
                    CASE WHEN se.village_code = target.code THEN 0
                         WHEN v.parent_code = target.parent_code THEN 1 ELSE 2 END,
                    -- within a tier, the nearer venue first when both places have coordinates
                    (v.lat - target.lat) ^ 2 + ((v.lon - target.lon) * cos(radians(target.lat))) ^ 2 NULLS LAST,
                    se.starts_on, c.title, se.id
           LIMIT $4 OFFSET $5""",
        village_code, today, county_code, limit, offset,
    )


# ------------------------------------------------------------------ facts for the recommender


async def session_facts(conn: Conn, county_code: str, session_ids: list[UUID] | None) -> list[asyncpg.Record]:
    """Sessions with their course, trade and place, for scoring (all of a county's when `session_ids` is None)."""
    return await conn.fetch(
        """SELECT s.id, s.course_id, s.school_id, s.starts_on, s.ends_on, s.village_code, s.status, s.capacity,
                  s.enrolled_count, c.title, c.trade_code, t.name AS trade_name, t.category, t.aliases, c.kind,
                  c.hours, c.skill_level, c.certificate, c.target_group, r.key_poverty
           FROM sessions s
           JOIN courses c ON c.county_code = s.county_code AND c.id = s.course_id
           JOIN trades t ON t.code = c.trade_code
           JOIN regions r ON r.code = s.village_code
           WHERE s.county_code = $1 AND ($2::uuid[] IS NULL OR s.id = ANY($2))""",
        county_code, session_ids,
    )


# ------------------------------------------------------------------ for progress


async def upcoming_sessions(conn: Conn, counties: list[str] | None, after: date) -> list[asyncpg.Record]:
    """Published sessions starting after the day: where and in which trade."""
    return await conn.fetch(
        """SELECT se.county_code, se.id, se.village_code, c.trade_code, se.starts_on FROM sessions se
           JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           WHERE ($1::text[] IS NULL OR se.county_code = ANY($1)) AND se.status = 'published' AND se.starts_on > $2""",
        counties, after,
    )


async def names(conn: Conn, school_ids: list[UUID], trade_codes: list[str],
                counties: list[str] | None = None) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    schools = await conn.fetch(
        """SELECT id, name FROM schools WHERE id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR county_code = ANY($2))
             AND ($3::text IS NULL OR county_code = $3)""", school_ids, counties, one_county(counties))
    trades = await conn.fetch("SELECT code, name FROM trades WHERE code = ANY($1::text[])", trade_codes)
    return schools, trades


async def school_county(conn: Conn, school_id: UUID) -> str | None:
    county: str | None = await conn.fetchval("SELECT county_code FROM schools WHERE id = $1", school_id)
    return county
