"""Recommendations and batches in SQL: open sessions with what the enrolment rules need, people with
what the enrolment rules need, their enrolments, and the allocation tables."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from training.core.rules import Rule

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


# The columns eligibility_failures (enrolment) reads from a session, plus what a list shows, plus what
# scoring reads (catalogue's session_facts): one query serves the rules and the model.
_SESSION_SELECT = """
    SELECT se.id, se.county_code, se.school_id, se.status, se.starts_on, se.ends_on, se.village_code,
           v.name AS village_name, se.capacity,
           c.title AS course_title, c.trade_code, t.name AS trade_name, sc.name AS school_name,
           c.min_age, c.max_age, c.target_group, e.rank AS min_education_rank, e.name AS min_education_name,
           t.category, t.aliases, c.kind, c.hours, c.skill_level, c.certificate, v.key_poverty
    FROM sessions se
    JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
    JOIN trades t ON t.code = c.trade_code
    JOIN schools sc ON sc.county_code = se.county_code AND sc.id = se.school_id
    JOIN regions v ON v.code = se.village_code
    LEFT JOIN education_levels e ON e.code = c.min_education"""


async def open_sessions(conn: Conn, county_code: str, today: date,
                        session_ids: list[UUID] | None = None) -> list[asyncpg.Record]:
    """Published sessions of the county that have not started (all of them, or those asked for)."""
    return await conn.fetch(
        _SESSION_SELECT + """ WHERE se.county_code = $1 AND se.status = 'published' AND se.starts_on > $2
                                AND ($3::uuid[] IS NULL OR se.id = ANY($3))
                              ORDER BY se.starts_on, se.id""",
        county_code, today, session_ids,
    )


async def session(conn: Conn, county_code: str, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_SESSION_SELECT + " WHERE se.county_code = $1 AND se.id = $2", county_code, session_id)


# The columns eligibility_failures (enrolment) reads from a person, computed the way the sign-up does.
_PERSON_SELECT = """
    SELECT p.id, p.name, p.id_masked, p.birth_date, p.sex, p.labour_capacity, e.rank AS education_rank,
           h.poverty_status, h.village_code, v.name AS village_name, l.qualifies AS lianghousheng,
           extract(year FROM age($2::date, p.birth_date))::integer AS age_now
    FROM people p
    JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
    JOIN regions v ON v.code = h.village_code
    JOIN education_levels e ON e.code = p.education
    CROSS JOIN LATERAL lianghousheng(h.poverty_status, p.education, p.in_school, p.left_school_year,
                                     p.birth_date, p.sex, $2, $3, $4, $5, $6, $7) l"""


def _rule(rule: Rule) -> list[Any]:
    return [rule.as_of, rule.years, rule.male[0], rule.male[1], rule.female[0], rule.female[1]]


async def people(conn: Conn, county_code: str, rule: Rule, *, person_ids: list[UUID] | None = None,
                 village_patterns: list[str] | None = None, village_code: str | None = None,
                 lianghousheng: bool | None = None, poverty_status: str | None = None) -> list[asyncpg.Record]:
    """People of a county, narrowed by ids, villages in reach (LIKE patterns) and the list filters."""
    return await conn.fetch(
        _PERSON_SELECT + """ WHERE p.county_code = $1
                               AND ($8::uuid[] IS NULL OR p.id = ANY($8))
                               AND ($9::text[] IS NULL OR h.village_code LIKE ANY($9))
                               AND ($10::text IS NULL OR h.village_code = $10)
                               AND ($11::boolean IS NULL OR l.qualifies = $11)
                               AND ($12::text IS NULL OR h.poverty_status = $12)
                             ORDER BY h.village_code, p.id""",
        county_code, *_rule(rule), person_ids, village_patterns, village_code, lianghousheng, poverty_status,
    )


async def untrained_people(conn: Conn, county_code: str, rule: Rule, region_prefix: str) -> list[asyncpg.Record]:
    """People of a village or township with no completion this year and no active enrolment."""
    return await conn.fetch(
        _PERSON_SELECT + """ WHERE p.county_code = $1 AND h.village_code LIKE $8 || '%'
                               AND NOT EXISTS (
                                   SELECT 1 FROM enrolments en WHERE en.county_code = p.county_code
                                     AND en.person_id = p.id
                                     AND (en.status IN ('enrolled', 'waitlisted')
                                          OR (en.status = 'completed'
                                              AND en.completed_on >= date_trunc('year', $2::date))))
                             ORDER BY h.village_code, p.id""",
        county_code, *_rule(rule), region_prefix,
    )


async def enrolments_of_person(conn: Conn, county_code: str, person_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT session_id, status, starts_on, ends_on FROM enrolments
           WHERE county_code = $1 AND person_id = $2""",
        county_code, person_id,
    )


async def enrolments_of_people(conn: Conn, county_code: str, person_ids: list[UUID]) -> list[asyncpg.Record]:
    """Every enrolment of these people (one query for a page of people)."""
    return await conn.fetch(
        """SELECT person_id, session_id, status, starts_on, ends_on FROM enrolments
           WHERE county_code = $1 AND person_id = ANY($2::uuid[])""",
        county_code, person_ids,
    )


async def enrolments_touching(conn: Conn, county_code: str, session_id: UUID, starts_on: date,
                              ends_on: date) -> list[asyncpg.Record]:
    """Enrolments in this session (any status) and active ones whose dates overlap it: who is already in,
    and who would clash."""
    return await conn.fetch(
        """SELECT person_id, session_id, status FROM enrolments
           WHERE county_code = $1 AND (session_id = $2 OR (status IN ('enrolled', 'waitlisted')
                                       AND daterange(starts_on, ends_on, '[]') && daterange($3, $4, '[]')))""",
        county_code, session_id, starts_on, ends_on,
    )


async def region(conn: Conn, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT code, name, level, county_code FROM regions WHERE code = $1", code)


# ------------------------------------------------------------------ allocations


async def insert_allocation(conn: Conn, county_code: str, values: dict[str, Any]) -> UUID:
    allocation_id: UUID = await conn.fetchval(
        """INSERT INTO allocations (county_code, region_code, model_version, priority_weight, people_considered,
                                    expected_completions, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        county_code, values["region_code"], values["model_version"], values["priority_weight"],
        values["people_considered"], values["expected_completions"], values["created_by"],
    )
    return allocation_id


async def insert_allocation_sessions(conn: Conn, county_code: str, allocation_id: UUID,
                                     sessions: list[tuple[UUID, int]]) -> None:
    await conn.execute(
        """INSERT INTO allocation_sessions (county_code, allocation_id, session_id, seats_offered)
           SELECT $1, $2, s, n FROM unnest($3::uuid[], $4::integer[]) AS u(s, n)""",
        county_code, allocation_id, [s for s, _ in sessions], [n for _, n in sessions],
    )


async def insert_allocation_items(conn: Conn, county_code: str, allocation_id: UUID,
                                  items: list[dict[str, Any]]) -> None:
    await conn.execute(
        """INSERT INTO allocation_items (county_code, allocation_id, person_id, session_id, recommendation_id,
                                         score, reasons, priority)
           SELECT $1, $2, p, s, r, sc, ARRAY(SELECT jsonb_array_elements_text($7::jsonb -> (o - 1)::integer)), pr
           FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::float8[], $8::boolean[]) WITH ORDINALITY
                AS u(p, s, r, sc, pr, o)""",
        county_code, allocation_id, [i["person_id"] for i in items], [i["session_id"] for i in items],
        [i["recommendation_id"] for i in items], [i["score"] for i in items], [i["reasons"] for i in items],
        [i["priority"] for i in items],
    )


async def allocation(conn: Conn, counties: list[str] | None, allocation_id: UUID, *,
                     lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT a.*, r.name AS region_name FROM allocations a JOIN regions r ON r.code = a.region_code
           WHERE a.id = $2 AND ($1::text[] IS NULL OR a.county_code = ANY($1))"""
        + (" FOR UPDATE OF a" if lock else ""),
        counties, allocation_id,
    )


async def allocation_sessions(conn: Conn, county_code: str, allocation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.session_id, c.title AS course_title, sc.name AS school_name, se.starts_on, s.seats_offered,
                  (SELECT count(*) FROM allocation_items i WHERE i.county_code = s.county_code
                     AND i.allocation_id = s.allocation_id AND i.session_id = s.session_id)::integer AS assigned
           FROM allocation_sessions s
           JOIN sessions se ON se.county_code = s.county_code AND se.id = s.session_id
           JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           JOIN schools sc ON sc.county_code = se.county_code AND sc.id = se.school_id
           WHERE s.county_code = $1 AND s.allocation_id = $2 ORDER BY se.starts_on, c.title, s.session_id""",
        county_code, allocation_id,
    )


async def allocation_items(conn: Conn, county_code: str, allocation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT i.person_id, p.name AS person_name, p.id_masked AS id_number, h.village_code, i.priority,
                  i.session_id, c.title AS course_title, t.name AS trade_name, i.score, i.reasons,
                  i.recommendation_id, i.outcome, i.enrolment_id, i.message
           FROM allocation_items i
           JOIN people p ON p.county_code = i.county_code AND p.id = i.person_id
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           JOIN sessions se ON se.county_code = i.county_code AND se.id = i.session_id
           JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           JOIN trades t ON t.code = c.trade_code
           WHERE i.county_code = $1 AND i.allocation_id = $2
           ORDER BY i.session_id, i.score DESC, i.person_id""",
        county_code, allocation_id,
    )


async def set_outcome(conn: Conn, county_code: str, allocation_id: UUID, person_id: UUID, outcome: str,
                      enrolment_id: UUID | None, message: str | None) -> None:
    await conn.execute(
        """UPDATE allocation_items SET outcome = $4, enrolment_id = $5, message = $6
           WHERE county_code = $1 AND allocation_id = $2 AND person_id = $3 AND outcome = 'proposed'""",
        county_code, allocation_id, person_id, outcome, enrolment_id, message,
    )


async def mark_accepted(conn: Conn, county_code: str, allocation_id: UUID, accepted_by: UUID) -> bool:
    """proposed -> accepted, once: False when it already was."""
    done = await conn.fetchval(
        """UPDATE allocations SET status = 'accepted', accepted_by = $3, accepted_at = now()
           WHERE county_code = $1 AND id = $2 AND status = 'proposed' RETURNING true""",
        county_code, allocation_id, accepted_by,
    )
    return bool(done)
