"""Enrolment in SQL. Seat counting happens in one UPDATE on the session row."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from training.core.rules import Rule

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def session_for_enrolment(conn: Conn, counties: list[str] | None, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT se.county_code, se.id, se.school_id, se.status, se.starts_on, se.ends_on, se.capacity,
                  c.min_age, c.max_age, c.target_group, c.trade_code, e.rank AS min_education_rank,
                  e.name AS min_education_name
           FROM sessions se JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           LEFT JOIN education_levels e ON e.code = c.min_education
           WHERE se.id = $2 AND ($1::text[] IS NULL OR se.county_code = ANY($1))""",
        counties, session_id,
    )


async def person_for_enrolment(conn: Conn, county_code: str, person_id: UUID, rule: Rule) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT p.id, p.name, p.birth_date, p.sex, p.labour_capacity, e.rank AS education_rank,
                  h.poverty_status, h.village_code, l.qualifies AS lianghousheng,
                  extract(year FROM age($3::date, p.birth_date))::integer AS age_now
           FROM people p
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           JOIN education_levels e ON e.code = p.education
           CROSS JOIN LATERAL lianghousheng(h.poverty_status, p.education, p.in_school, p.left_school_year,
                                            p.birth_date, p.sex, $3, $4, $5, $6, $7, $8) l
           WHERE p.county_code = $1 AND p.id = $2""",
        county_code, person_id, rule.as_of, rule.years, rule.male[0], rule.male[1], rule.female[0], rule.female[1],
    )


async def take_seat(conn: Conn, county_code: str, session_id: UUID) -> bool:
    """One seat if any is left: check and count in one statement, under the session row's lock."""
    row = await conn.fetchval(
        """UPDATE sessions SET enrolled_count = enrolled_count + 1
           WHERE county_code = $1 AND id = $2 AND enrolled_count < capacity RETURNING enrolled_count""",
        county_code, session_id,
    )
    return row is not None


async def next_waitlist_number(conn: Conn, county_code: str, session_id: UUID) -> int:
    number: int = await conn.fetchval(
        "UPDATE sessions SET waitlist_seq = waitlist_seq + 1 WHERE county_code = $1 AND id = $2 RETURNING waitlist_seq",
        county_code, session_id,
    )
    return number


async def insert(conn: Conn, county_code: str, values: dict[str, Any]) -> UUID:
    enrolment_id: UUID = await conn.fetchval(
        """INSERT INTO enrolments (county_code, session_id, person_id, school_id, status, source, waitlist_seq,
                                   starts_on, ends_on, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id""",
        county_code, values["session_id"], values["person_id"], values["school_id"], values["status"],
        values["source"], values["waitlist_seq"], values["starts_on"], values["ends_on"], values["created_by"],
    )
    return enrolment_id


_SELECT = """
    SELECT en.id, en.county_code, en.session_id, c.title AS course_title, c.trade_code, t.name AS trade_name,
           en.school_id, en.starts_on, en.ends_on, en.person_id, p.name AS person_name, p.id_masked AS id_number,
           h.village_code, en.status, en.source, en.reason, en.completed_on, en.passed, en.skill_level,
           en.certificate_no, en.created_at,
           CASE WHEN en.status = 'waitlisted' THEN
               (SELECT count(*) FROM enrolments w WHERE w.county_code = en.county_code AND w.session_id = en.session_id
                  AND w.status = 'waitlisted' AND w.waitlist_seq <= en.waitlist_seq)::integer END AS waitlist_position,
           (SELECT count(*) FROM attendance a WHERE a.county_code = en.county_code AND a.enrolment_id = en.id
              AND a.present)::integer AS attended_days,
           (SELECT count(DISTINCT a.day) FROM attendance a JOIN enrolments o ON o.county_code = a.county_code
              AND o.id = a.enrolment_id WHERE o.county_code = en.county_code
              AND o.session_id = en.session_id)::integer AS recorded_days
    FROM enrolments en
    JOIN sessions se ON se.county_code = en.county_code AND se.id = en.session_id
    JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
    JOIN trades t ON t.code = c.trade_code
    JOIN people p ON p.county_code = en.county_code AND p.id = en.person_id
    JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id"""


async def enrolments(conn: Conn, counties: list[str] | None, *, enrolment_id: UUID | None = None,
                     session_id: UUID | None = None, person_id: UUID | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        _SELECT + """ WHERE ($1::text[] IS NULL OR en.county_code = ANY($1))
                        AND ($2::uuid IS NULL OR en.id = $2) AND ($3::uuid IS NULL OR en.session_id = $3)
                        AND ($4::uuid IS NULL OR en.person_id = $4)
                      ORDER BY en.status = 'waitlisted', en.waitlist_seq, en.created_at, en.id""",
        counties, enrolment_id, session_id, person_id,
    )


async def lock_session(conn: Conn, county_code: str, session_id: UUID) -> None:
    await conn.execute("SELECT 1 FROM sessions WHERE county_code = $1 AND id = $2 FOR UPDATE", county_code, session_id)


async def lock_enrolment(conn: Conn, county_code: str, enrolment_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM enrolments WHERE county_code = $1 AND id = $2 FOR UPDATE",
                               county_code, enrolment_id)


async def leave(conn: Conn, county_code: str, enrolment_id: UUID, status: str, reason: str) -> None:
    await conn.execute(
        """UPDATE enrolments SET status = $3, reason = $4, waitlist_seq = NULL, updated_at = now()
           WHERE county_code = $1 AND id = $2""",
        county_code, enrolment_id, status, reason,
    )


async def promote_first_waitlisted(conn: Conn, county_code: str, session_id: UUID) -> asyncpg.Record | None:
    """Give a freed seat to the first on the waitlist (the session row is already locked)."""
    return await conn.fetchrow(
        """UPDATE enrolments SET status = 'enrolled', waitlist_seq = NULL, updated_at = now()
           WHERE county_code = $1 AND id = (
               SELECT id FROM enrolments WHERE county_code = $1 AND session_id = $2 AND status = 'waitlisted'
               ORDER BY waitlist_seq LIMIT 1)
           RETURNING id, person_id""",
        county_code, session_id,
    )


async def release_seat(conn: Conn, county_code: str, session_id: UUID) -> None:
    await conn.execute("UPDATE sessions SET enrolled_count = enrolled_count - 1 WHERE county_code = $1 AND id = $2",
                       county_code, session_id)


async def record_attendance(conn: Conn, county_code: str, session_id: UUID, day: date, present: list[UUID],
                            recorded_by: UUID) -> tuple[int, int]:
    rows = await conn.fetch(
        """INSERT INTO attendance (county_code, enrolment_id, day, present, recorded_by)
           SELECT en.county_code, en.id, $3, en.id = ANY($4::uuid[]), $5 FROM enrolments en
           WHERE en.county_code = $1 AND en.session_id = $2 AND en.status IN ('enrolled', 'completed')
           ON CONFLICT (county_code, enrolment_id, day) DO UPDATE
               SET present = EXCLUDED.present, recorded_by = EXCLUDED.recorded_by, recorded_at = now()
           RETURNING present""",
        county_code, session_id, day, present, recorded_by,
    )
    present_count = sum(1 for r in rows if r["present"])
    return present_count, len(rows) - present_count


async def active_in_session(conn: Conn, county_code: str, session_id: UUID) -> set[UUID]:
    rows = await conn.fetch(
        "SELECT id FROM enrolments WHERE county_code = $1 AND session_id = $2 AND status IN ('enrolled', 'completed')",
        county_code, session_id,
    )
    return {r["id"] for r in rows}


async def complete(conn: Conn, county_code: str, enrolment_id: UUID, values: dict[str, Any]) -> None:
    await conn.execute(
        """UPDATE enrolments SET status = 'completed', completed_on = $3, passed = $4, skill_level = $5,
                                 certificate_no = $6, override_reason = $7, updated_at = now()
           WHERE county_code = $1 AND id = $2""",
        county_code, enrolment_id, values["completed_on"], values["passed"], values["skill_level"],
        values["certificate_no"], values["override_reason"],
    )


async def insert_employment(conn: Conn, county_code: str, enrolment_id: UUID, values: dict[str, Any],
                            created_by: UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO employment (county_code, enrolment_id, employed_on, place, trade_code, employer, monthly_income,
                                   created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           RETURNING id, enrolment_id, employed_on, place, trade_code, employer, monthly_income""",
        county_code, enrolment_id, values["employed_on"], values["place"], values["trade_code"], values["employer"],
        values["monthly_income"], created_by,
    )
    assert row is not None
    return row


async def employment_of_person(conn: Conn, county_code: str, person_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT em.id, em.enrolment_id, em.employed_on, em.place, em.trade_code, em.employer, em.monthly_income
           FROM employment em JOIN enrolments en ON en.county_code = em.county_code AND en.id = em.enrolment_id
           WHERE em.county_code = $1 AND en.person_id = $2 ORDER BY em.employed_on""",
        county_code, person_id,
    )


async def people_of_school(conn: Conn, counties: list[str] | None, school_id: UUID) -> list[UUID]:
    """Everyone who applied to or joined a session of the school."""
    return [r["person_id"] for r in await conn.fetch(
        """SELECT DISTINCT person_id FROM enrolments
           WHERE school_id = $2 AND ($1::text[] IS NULL OR county_code = ANY($1))""", counties, school_id)]
