"""Enrolment in SQL. Seats are counted on the session row under its lock; every change of an
enrolment's status is one guarded UPDATE (`transition`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from training.core.db import one_county
from training.core.rules import Rule

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def session_for_enrolment(conn: Conn, counties: list[str] | None, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT se.county_code, se.id, se.school_id, se.status, se.starts_on, se.ends_on, se.capacity,
                  c.min_age, c.max_age, c.target_group, c.trade_code, e.rank AS min_education_rank,
                  e.name AS min_education_name
           FROM sessions se JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           LEFT JOIN education_levels e ON e.code = c.min_education
           WHERE se.id = $2 AND ($1::text[] IS NULL OR se.county_code = ANY($1))
             AND ($3::text IS NULL OR se.county_code = $3)""",
        counties, session_id, one_county(counties),
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


# Statuses that hold one of the session's seats (a completed trainee keeps the place they took), and
# the statuses still in play. sessions.enrolled_count always equals the number of SEATED rows.
SEATED = ("enrolled", "completed")
ACTIVE = ("enrolled", "waitlisted")


async def seat_or_queue(conn: Conn, county_code: str, session_id: UUID) -> asyncpg.Record | None:
    """A seat if one is left, else the next waitlist number: decided and counted under the session
    row's lock, which stays held to the end of the transaction. None when the session is not (or no
    longer) published, so a sign-up racing a cancellation cannot land in a cancelled session."""
    return await conn.fetchrow(
        """WITH s AS (SELECT enrolled_count < capacity AS seated FROM sessions
                      WHERE county_code = $1 AND id = $2 AND status = 'published' FOR NO KEY UPDATE)
           UPDATE sessions se SET enrolled_count = se.enrolled_count + s.seated::integer,
                                  waitlist_seq = se.waitlist_seq + (NOT s.seated)::integer
           FROM s WHERE se.county_code = $1 AND se.id = $2
           RETURNING s.seated, CASE WHEN s.seated THEN NULL ELSE se.waitlist_seq END AS waitlist_seq""",
        county_code, session_id,
    )


async def insert(conn: Conn, county_code: str, values: dict[str, Any]) -> UUID:
    """A new enrolment. What it is counted under is fixed now: 两后生 on the sign-up day
    (values["lianghousheng"]); the course's trade and the person's household and village are filled in
    by the database (migration 0012), which also moves the progress rollups."""
    enrolment_id: UUID = await conn.fetchval(
        """INSERT INTO enrolments (county_code, session_id, person_id, school_id, status, source, waitlist_seq,
                                   starts_on, ends_on, created_by, recommendation_id, lianghousheng)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id""",
        county_code, values["session_id"], values["person_id"], values["school_id"], values["status"],
        values["source"], values["waitlist_seq"], values["starts_on"], values["ends_on"], values["created_by"],
        values.get("recommendation_id"), bool(values.get("lianghousheng", False)),
    )
    return enrolment_id


async def holds_active_place(conn: Conn, county_code: str, session_id: UUID, person_id: UUID) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM enrolments WHERE county_code = $1 AND session_id = $2
                          AND person_id = $3 AND status IN ('enrolled', 'waitlisted'))""",
        county_code, session_id, person_id,
    ))


# One query for every list of enrolments, set-based: the attendance of the listed enrolments, the
# recorded days of their sessions and the waitlist positions are each aggregated once and joined,
# never counted again for every row (a roster of 1,600 took 4 s that way).
ENROLMENTS = """
    WITH picked AS (
        SELECT en.county_code, en.id, en.session_id FROM enrolments en
        WHERE ($1::text[] IS NULL OR en.county_code = ANY($1)) AND ($2::uuid IS NULL OR en.id = $2)
          AND ($3::uuid IS NULL OR en.session_id = $3) AND ($4::uuid IS NULL OR en.person_id = $4)
          AND ($8::text IS NULL OR en.county_code = $8)),
    picked_sessions AS (SELECT DISTINCT county_code, session_id FROM picked),
    queue AS (
        SELECT w.county_code, w.id,
               row_number() OVER (PARTITION BY w.county_code, w.session_id ORDER BY w.waitlist_seq) AS position
        FROM picked_sessions ps
        JOIN enrolments w ON w.county_code = ps.county_code AND w.session_id = ps.session_id
        WHERE w.status = 'waitlisted' AND ($8::text IS NULL OR w.county_code = $8)),
    days AS (
        SELECT ps.county_code, ps.session_id, count(DISTINCT a.day) AS recorded
        FROM picked_sessions ps
        JOIN enrolments o ON o.county_code = ps.county_code AND o.session_id = ps.session_id
        JOIN attendance a ON a.county_code = o.county_code AND a.enrolment_id = o.id
        WHERE $8::text IS NULL OR o.county_code = $8
        GROUP BY ps.county_code, ps.session_id),
    attended AS (
        SELECT a.county_code, a.enrolment_id, count(*) FILTER (WHERE a.present) AS present
        FROM picked JOIN attendance a ON a.county_code = picked.county_code AND a.enrolment_id = picked.id
        WHERE $8::text IS NULL OR a.county_code = $8
        GROUP BY a.county_code, a.enrolment_id)
    SELECT en.id, en.county_code, en.session_id, c.title AS course_title, c.trade_code, t.name AS trade_name,
           en.school_id, en.starts_on, en.ends_on, en.person_id, p.name AS person_name, p.id_masked AS id_number,
           h.village_code, en.status, en.source, en.reason, en.completed_on, en.passed, en.skill_level,
           en.certificate_no, en.created_at, q.position::integer AS waitlist_position,
           COALESCE(att.present, 0)::integer AS attended_days, COALESCE(d.recorded, 0)::integer AS recorded_days,
           count(*) OVER () AS total
    FROM picked
    JOIN enrolments en ON en.county_code = picked.county_code AND en.id = picked.id
    JOIN sessions se ON se.county_code = en.county_code AND se.id = en.session_id
    JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
    JOIN trades t ON t.code = c.trade_code
    JOIN people p ON p.county_code = en.county_code AND p.id = en.person_id
    JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
    LEFT JOIN queue q ON q.county_code = en.county_code AND q.id = en.id
    LEFT JOIN attended att ON att.county_code = en.county_code AND att.enrolment_id = en.id
    LEFT JOIN days d ON d.county_code = en.county_code AND d.session_id = en.session_id
    WHERE ($7::text[] IS NULL OR h.village_code LIKE ANY($7)) AND ($8::text IS NULL OR en.county_code = $8)
    ORDER BY en.status = 'waitlisted', en.waitlist_seq, en.created_at, en.id
    LIMIT $5 OFFSET $6"""


async def enrolments(conn: Conn, counties: list[str] | None, *, enrolment_id: UUID | None = None,
                     session_id: UUID | None = None, person_id: UUID | None = None, limit: int | None = None,
                     offset: int = 0, village_patterns: list[str] | None = None) -> list[asyncpg.Record]:
    """Enrolments by id, session or person, of people in `village_patterns` (LIKE; None: anywhere); a
    page of them when `limit` is given (rows carry the total)."""
    return await conn.fetch(ENROLMENTS, counties, enrolment_id, session_id, person_id, limit, offset,
                            village_patterns, one_county(counties))


async def recommended(conn: Conn, county_code: str, recommendation_id: UUID, person_id: UUID,
                      session_id: UUID) -> bool:
    """Whether this person was recommended (shown) for this session under that id: the sign-up the
    recommendation's foreign key would accept, asked before anything about the person is told."""
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM recommendations WHERE county_code = $1 AND id = $2
                          AND person_id = $3 AND session_id = $4)""",
        county_code, recommendation_id, person_id, session_id))


async def status_counts(conn: Conn, county_code: str, session_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The one count of enrolments by session and status, with each session's capacity and status, for
    sessions of one county: every figure that depends on enrolments (seats left, enrolled, waitlisted)
    derives from this. The county is a plain equality on both tables, so Citus sends it to one shard."""
    return await conn.fetch(
        """SELECT se.county_code, se.id AS session_id, se.capacity, se.status AS session_status,
                  COALESCE(jsonb_object_agg(en.status, en.n) FILTER (WHERE en.status IS NOT NULL), '{}')
                      AS by_status
           FROM sessions se
           LEFT JOIN LATERAL (SELECT e.status, count(*)::integer AS n FROM enrolments e
                              WHERE e.county_code = $1 AND e.session_id = se.id
                              GROUP BY e.status) en ON true
           WHERE se.county_code = $1 AND se.id = ANY($2::uuid[])
           GROUP BY se.county_code, se.id""",
        county_code, list(session_ids),
    )


async def lock_session(conn: Conn, county_code: str, session_id: UUID) -> asyncpg.Record | None:
    """Every change of seats or of the waitlist happens under this lock (taken before any enrolment
    row's, so two transitions never wait on each other in opposite orders)."""
    return await conn.fetchrow(
        "SELECT status, capacity, enrolled_count FROM sessions WHERE county_code = $1 AND id = $2 "
        "FOR NO KEY UPDATE", county_code, session_id)


async def transition(conn: Conn, county_code: str, enrolment_id: UUID, from_statuses: Sequence[str],
                     to_status: str, *, reason: str | None = None,
                     completion: Mapping[str, Any] | None = None) -> asyncpg.Record | None:
    """THE state change of an enrolment: from one of `from_statuses` to `to_status`, or nothing at all
    if the row is no longer in one of them (someone else moved it first); the caller turns None into
    a 409. Returns the status it left, with the session and person."""
    done = completion or {}
    # Two statements in the caller's transaction: lock the row and read its status, then change it under
    # that lock. (One UPDATE joined to a locking sub-select of the same row can match nothing when the
    # row was updated meanwhile: READ COMMITTED re-checks the target row but not the sub-select.)
    before: str | None = await conn.fetchval(
        "SELECT status FROM enrolments WHERE county_code = $1 AND id = $2 FOR NO KEY UPDATE", county_code, enrolment_id)
    if before is None or before not in from_statuses:
        return None
    return await conn.fetchrow(
        """UPDATE enrolments en
           SET status = $4,
               waitlist_seq = CASE WHEN $4 = 'waitlisted' THEN en.waitlist_seq END,
               reason = COALESCE($5, en.reason),
               completed_on = CASE WHEN $4 = 'completed' THEN $6 ELSE en.completed_on END,
               passed = CASE WHEN $4 = 'completed' THEN $7 ELSE en.passed END,
               skill_level = CASE WHEN $4 = 'completed' THEN $8 ELSE en.skill_level END,
               certificate_no = CASE WHEN $4 = 'completed' THEN $9 ELSE en.certificate_no END,
               override_reason = CASE WHEN $4 = 'completed' THEN $10 ELSE en.override_reason END,
               updated_at = now()
           WHERE en.county_code = $1 AND en.id = $2 AND en.status = $3
           RETURNING $3::text AS from_status, en.session_id, en.person_id""",
        county_code, enrolment_id, before, to_status, reason, done.get("completed_on"),
        done.get("passed"), done.get("skill_level"), done.get("certificate_no"), done.get("override_reason"),
    )


async def first_waitlisted(conn: Conn, county_code: str, session_id: UUID) -> UUID | None:
    """The first in line (call under the session's lock)."""
    found: UUID | None = await conn.fetchval(
        """SELECT id FROM enrolments WHERE county_code = $1 AND session_id = $2 AND status = 'waitlisted'
           ORDER BY waitlist_seq LIMIT 1""",
        county_code, session_id,
    )
    return found


async def active_ids(conn: Conn, county_code: str, session_id: UUID) -> list[UUID]:
    rows = await conn.fetch(
        """SELECT id FROM enrolments WHERE county_code = $1 AND session_id = $2
             AND status IN ('enrolled', 'waitlisted') ORDER BY status, waitlist_seq, created_at, id""",
        county_code, session_id,
    )
    return [r["id"] for r in rows]


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
               SET present = EXCLUDED.present, recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at
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


async def trainees_for_sheet(conn: Conn, county_code: str, session_id: UUID) -> list[asyncpg.Record]:
    """Who may be marked on a sign-in sheet: the session's enrolled and completed trainees."""
    return await conn.fetch(
        """SELECT en.id, p.id_hash, p.name FROM enrolments en
           JOIN people p ON p.county_code = en.county_code AND p.id = en.person_id
           WHERE en.county_code = $1 AND en.session_id = $2 AND en.status IN ('enrolled', 'completed')""",
        county_code, session_id,
    )


async def record_marks(conn: Conn, county_code: str, marks: Sequence[tuple[UUID, date, bool]],
                       recorded_by: UUID) -> None:
    await conn.executemany(
        """INSERT INTO attendance (county_code, enrolment_id, day, present, recorded_by)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (county_code, enrolment_id, day) DO UPDATE
               SET present = EXCLUDED.present, recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at""",
        [(county_code, enrolment_id, day, present, recorded_by) for enrolment_id, day, present in marks],
    )


async def history(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """Every enrolment of a county with its outcome, for training the recommender."""
    return await conn.fetch(
        """SELECT id, person_id, session_id, status, passed, starts_on, completed_on, created_at, recommendation_id
           FROM enrolments WHERE county_code = $1""",
        county_code,
    )


async def counties_with_history(conn: Conn) -> list[str]:
    return [r["county_code"] for r in await conn.fetch(
        "SELECT DISTINCT county_code FROM enrolments WHERE status IN ('withdrawn', 'dropped', 'completed') ORDER BY 1")]


# Progress figures, read from the rollups of migration 0012 (kept by triggers in the same transaction as
# every enrolment and employment change). `region` is a leading part of village codes ('' for all);
# `school_id` narrows to one school's sessions.
ROLLUP_BY = """
    SELECT CASE WHEN grouping(r.month) = 0 THEN 'month' WHEN grouping(left(r.village_code, 9)) = 0 THEN 'township'
                WHEN grouping(r.village_code) = 0 THEN 'village' WHEN grouping(r.trade_code) = 0 THEN 'trade'
                WHEN grouping(r.school_id) = 0 THEN 'school' ELSE 'total' END AS dimension,
           coalesce(r.month::text, left(r.village_code, 9) || '000', r.village_code, r.trade_code, r.school_id::text)
               AS key,
           sum(r.enrolled_now)::integer AS enrolled_now, sum(r.waitlisted_now)::integer AS waitlisted_now,
           sum(r.completed)::integer AS completed, sum(r.passed)::integer AS passed,
           sum(r.certified)::integer AS certified, sum(r.employed)::integer AS employed,
           sum(r.dropped)::integer AS dropped,
           (sum(r.enrolled_now) FILTER (WHERE r.lianghousheng))::integer AS lianghousheng_enrolled,
           (sum(r.completed) FILTER (WHERE r.lianghousheng))::integer AS lianghousheng_completed
    FROM enrolment_rollup r
    WHERE ($1::text[] IS NULL OR r.county_code = ANY($1)) AND r.year = $2 AND r.month BETWEEN $3 AND $4
      AND r.village_code LIKE $5 || '%' AND ($6::uuid IS NULL OR r.school_id = $6)
    GROUP BY GROUPING SETS ((), (r.month), (left(r.village_code, 9)), (r.village_code), (r.trade_code), (r.school_id))"""


# Whole counties (or a province): the counts by period and group (migration 0021) plus the changes not yet
# folded into them. `periods` of every group, and the county totals of `months` (the months of the
# span, by month). A county's year is ~110 rows, whatever its people.
COUNTS_BY = """
    SELECT r.what, CASE WHEN r.what = 'county' THEN '' ELSE r.key END AS key, r.period,
           sum(r.enrolled_now)::integer AS enrolled_now, sum(r.waitlisted_now)::integer AS waitlisted_now,
           sum(r.completed)::integer AS completed, sum(r.passed)::integer AS passed,
           sum(r.certified)::integer AS certified, sum(r.employed)::integer AS employed,
           sum(r.dropped)::integer AS dropped, sum(r.lianghousheng_enrolled)::integer AS lianghousheng_enrolled,
           sum(r.lianghousheng_completed)::integer AS lianghousheng_completed
    FROM (
        SELECT c.what, c.key, c.period, c.enrolled_now, c.waitlisted_now, c.completed, c.passed, c.certified,
               c.employed, c.dropped, c.lianghousheng_enrolled, c.lianghousheng_completed
        FROM enrolment_counts c
        WHERE ($1::text[] IS NULL OR c.county_code = ANY($1)) AND c.year = $2
          AND (c.period = ANY($3::text[]) OR (c.what = 'county' AND c.period = ANY($4::text[])))
        UNION ALL
        SELECT k.what, k.key, p.period, l.enrolled_now, l.waitlisted_now, l.completed, l.passed, l.certified,
               l.employed, l.dropped, CASE WHEN l.lianghousheng THEN l.enrolled_now ELSE 0 END,
               CASE WHEN l.lianghousheng THEN l.completed ELSE 0 END
        FROM enrolment_rollup_log l
        CROSS JOIN LATERAL unnest(progress_periods(l.month)) AS p(period)
        CROSS JOIN LATERAL enrolment_count_keys(l.county_code, l.village_code, l.trade_code, l.school_id) k
        WHERE ($1::text[] IS NULL OR l.county_code = ANY($1)) AND l.year = $2
          AND (p.period = ANY($3::text[]) OR (k.what = 'county' AND p.period = ANY($4::text[])))) r
    GROUP BY 1, 2, 3"""


async def fold_rollups(conn: Conn) -> int:
    """Fold the logged changes into enrolment_counts (-1 when another session is folding)."""
    folded: int = await conn.fetchval("SELECT enrolment_rollup_fold()")
    return folded


async def rollup_by(conn: Conn, counties: list[str] | None, year: int, months: tuple[int, int], region: str,
                    school_id: UUID | None) -> list[asyncpg.Record]:
    """Within a region or of one school: every group summed from the buckets (a county's at most)."""
    return await conn.fetch(ROLLUP_BY, counties, year, months[0], months[1], region, school_id)


async def counts_by(conn: Conn, counties: list[str] | None, year: int, periods: list[str],
                    months: list[str]) -> list[asyncpg.Record]:
    """Whole counties: (what, key, period) rows of `periods` for every group and of `months` for the
    county totals; key '' for the county (a province's counties add up in the query)."""
    return await conn.fetch(COUNTS_BY, counties, year, periods, months)


PEOPLE_BY = """
    SELECT CASE WHEN grouping(p.month) = 0 THEN 'month' WHEN grouping(left(p.village_code, 9)) = 0 THEN 'township'
                WHEN grouping(p.village_code) = 0 THEN 'village' WHEN grouping(p.trade_code) = 0 THEN 'trade'
                WHEN grouping(p.school_id) = 0 THEN 'school' ELSE 'total' END AS dimension,
           coalesce(p.month::text, left(p.village_code, 9) || '000', p.village_code, p.trade_code, p.school_id::text)
               AS key,
           count(DISTINCT p.person_id)::integer AS persons_completed
    FROM completion_people p
    WHERE ($1::text[] IS NULL OR p.county_code = ANY($1)) AND p.year = $2 AND p.month BETWEEN $3 AND $4
      AND p.village_code LIKE $5 || '%' AND ($6::uuid IS NULL OR p.school_id = $6) AND p.completions > 0
    GROUP BY GROUPING SETS ((), (p.month), (left(p.village_code, 9)), (p.village_code), (p.trade_code), (p.school_id))"""


async def people_by(conn: Conn, counties: list[str] | None, year: int, months: tuple[int, int], region: str,
                    school_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(PEOPLE_BY, counties, year, months[0], months[1], region, school_id)


async def completing_households(conn: Conn, counties: list[str] | None, year: int, months: tuple[int, int],
                                region: str, school_id: UUID | None) -> asyncpg.Record:
    """Households with a member who completed a training in the period (every trainee is of working
    age: sign-up refuses anyone outside it)."""
    # Two arrays rather than a row per household: a province has ~100,000 of them.
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(h.county_code), '{}') AS counties, coalesce(array_agg(h.household_id), '{}') AS ids
           FROM (SELECT DISTINCT p.county_code, p.household_id FROM completion_people p
                 WHERE ($1::text[] IS NULL OR p.county_code = ANY($1)) AND p.year = $2 AND p.month BETWEEN $3 AND $4
                   AND p.village_code LIKE $5 || '%' AND ($6::uuid IS NULL OR p.school_id = $6)
                   AND p.completions > 0) h""",
        counties, year, months[0], months[1], region, school_id,
    )
    assert row is not None
    return row


async def two_trade_households(conn: Conn, counties: list[str] | None, region: str) -> asyncpg.Record:
    """Households with a member who has completed trainings in two different trades, ever."""
    row = await conn.fetchrow(
        """SELECT coalesce(array_agg(h.county_code), '{}') AS counties, coalesce(array_agg(h.household_id), '{}') AS ids
           FROM (SELECT DISTINCT county_code, household_id FROM person_skills
                 WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND village_code LIKE $2 || '%'
                   AND trades >= 2) h""",
        counties, region,
    )
    assert row is not None
    return row


async def open_places(conn: Conn, counties: list[str] | None, region: str, school_id: UUID | None,
                      ends_from: date, ends_by: date) -> list[asyncpg.Record]:
    """People still enrolled (not completed, dropped or withdrawn) in sessions ending in [ends_from, ends_by], by county."""
    return await conn.fetch(
        """SELECT r.county_code, sum(r.enrolled_now)::integer AS enrolled FROM enrolment_rollup r
           WHERE ($1::text[] IS NULL OR r.county_code = ANY($1)) AND r.enrolled_now > 0
             AND r.ends_on BETWEEN $4 AND $5 AND r.village_code LIKE $2 || '%'
             AND ($3::uuid IS NULL OR r.school_id = $3)
           GROUP BY r.county_code""",
        counties, region, school_id, ends_from, ends_by,
    )


async def completion_history(conn: Conn, counties: list[str] | None, ended_before: date) -> list[asyncpg.Record]:
    """Per county: completed and dropped places in sessions that ended before the day (the whole county)."""
    return await conn.fetch(
        """SELECT r.county_code, sum(r.completed)::integer AS completed, sum(r.dropped)::integer AS dropped
           FROM enrolment_rollup r
           WHERE ($1::text[] IS NULL OR r.county_code = ANY($1)) AND r.ends_on < $2
           GROUP BY r.county_code""",
        counties, ended_before,
    )


# The same figures counted from the records themselves: what the rollups must always equal.
RAW_COUNTS = """
    SELECT en.county_code,
           extract(year FROM CASE WHEN en.status = 'completed' THEN en.completed_on ELSE en.starts_on END)::smallint
               AS year,
           extract(month FROM CASE WHEN en.status = 'completed' THEN en.completed_on ELSE en.starts_on END)::smallint
               AS month,
           en.session_id, en.village_code, en.lianghousheng, en.school_id, en.trade_code, en.ends_on,
           count(*) FILTER (WHERE en.status = 'enrolled')::integer AS enrolled_now,
           count(*) FILTER (WHERE en.status = 'waitlisted')::integer AS waitlisted_now,
           count(*) FILTER (WHERE en.status = 'dropped')::integer AS dropped,
           count(*) FILTER (WHERE en.status = 'completed')::integer AS completed,
           count(*) FILTER (WHERE en.status = 'completed' AND en.passed)::integer AS passed,
           count(*) FILTER (WHERE en.status = 'completed' AND en.certificate_no IS NOT NULL)::integer AS certified,
           count(*) FILTER (WHERE en.status = 'completed' AND EXISTS (
               SELECT 1 FROM employment em WHERE em.county_code = en.county_code AND em.enrolment_id = en.id
           ))::integer AS employed
    FROM enrolments en
    WHERE en.county_code = $1 AND en.status IN ('enrolled', 'waitlisted', 'dropped', 'completed')
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"""


async def raw_counts(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(RAW_COUNTS, county_code)


async def rollup_rows(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT county_code, year, month, session_id, village_code, lianghousheng, school_id, trade_code, ends_on,
                  enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed
           FROM enrolment_rollup WHERE county_code = $1
             AND (enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed)
                 <> (0, 0, 0, 0, 0, 0, 0)""",
        county_code,
    )


async def raw_completion_people(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT county_code, extract(year FROM completed_on)::smallint AS year,
                  extract(month FROM completed_on)::smallint AS month, person_id, school_id, trade_code,
                  household_id, village_code, count(*)::integer AS completions
           FROM enrolments WHERE county_code = $1 AND status = 'completed'
           GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",
        county_code,
    )


async def completion_people_rows(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT county_code, year, month, person_id, school_id, trade_code, household_id, village_code, completions
           FROM completion_people WHERE county_code = $1 AND completions <> 0""",
        county_code,
    )


COUNT_COLUMNS = ("enrolled_now, waitlisted_now, dropped, completed, passed, certified, employed, "
                 "lianghousheng_enrolled, lianghousheng_completed")


async def counts_rows(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """enrolment_counts with the unfolded log added, by year, period, what and key (non-zero rows)."""
    return await conn.fetch(
        f"""SELECT year, period, what, key, {", ".join(f"sum({c})::integer" for c in COUNT_COLUMNS.split(", "))}
            FROM (SELECT year, period, what, key, {COUNT_COLUMNS} FROM enrolment_counts WHERE county_code = $1
                  UNION ALL
                  SELECT l.year, p.period, k.what, k.key, l.enrolled_now, l.waitlisted_now, l.dropped, l.completed,
                         l.passed, l.certified, l.employed, CASE WHEN l.lianghousheng THEN l.enrolled_now ELSE 0 END,
                         CASE WHEN l.lianghousheng THEN l.completed ELSE 0 END
                  FROM enrolment_rollup_log l
                  CROSS JOIN LATERAL unnest(progress_periods(l.month)) AS p(period)
                  CROSS JOIN LATERAL enrolment_count_keys(l.county_code, l.village_code, l.trade_code, l.school_id) k
                  WHERE l.county_code = $1) r
            GROUP BY 1, 2, 3, 4
            HAVING (sum(enrolled_now), sum(waitlisted_now), sum(dropped), sum(completed), sum(passed),
                    sum(certified), sum(employed)) <> (0, 0, 0, 0, 0, 0, 0)""",
        county_code,
    )


async def raw_enrolment_counts(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """The same, counted from the enrolment and employment rows."""
    return await conn.fetch(
        f"""SELECT f.year, p.period, k.what, k.key, sum(f.enrolled_now)::integer, sum(f.waitlisted_now)::integer,
                   sum(f.dropped)::integer, sum(f.completed)::integer, sum(f.passed)::integer,
                   sum(f.certified)::integer, sum(f.employed)::integer,
                   sum(CASE WHEN f.lianghousheng THEN f.enrolled_now ELSE 0 END)::integer,
                   sum(CASE WHEN f.lianghousheng THEN f.completed ELSE 0 END)::integer
            FROM ({RAW_COUNTS}) f
            CROSS JOIN LATERAL unnest(progress_periods(f.month)) AS p(period)
            CROSS JOIN LATERAL enrolment_count_keys(f.county_code, f.village_code, f.trade_code, f.school_id) k
            GROUP BY 1, 2, 3, 4
            HAVING (sum(f.enrolled_now), sum(f.waitlisted_now), sum(f.dropped), sum(f.completed), sum(f.passed),
                    sum(f.certified), sum(f.employed)) <> (0, 0, 0, 0, 0, 0, 0)""",
        county_code,
    )


BY_END = """
    SELECT county_code, ends_year, sum(enrolled_now)::integer AS enrolled_now, sum(completed)::integer AS completed,
           sum(dropped)::integer AS dropped
    FROM (SELECT county_code, ends_year, enrolled_now, completed, dropped FROM enrolment_counts_by_end
          WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND ends_year <= $2
          UNION ALL
          SELECT county_code, extract(year FROM ends_on)::smallint, enrolled_now, completed, dropped
          FROM enrolment_rollup_log
          WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND ends_on < make_date($2 + 1, 1, 1)) r
    GROUP BY 1, 2
    HAVING (sum(enrolled_now), sum(completed), sum(dropped)) <> (0, 0, 0)"""


async def by_end(conn: Conn, counties: list[str] | None, up_to_year: int) -> list[asyncpg.Record]:
    """Whole counties: places by county and the year their session ends, up to a year (folded + unfolded)."""
    return await conn.fetch(BY_END, counties, up_to_year)


async def raw_by_end(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """enrolment_counts_by_end of a county counted from the enrolment rows."""
    return await conn.fetch(
        """SELECT county_code, extract(year FROM ends_on)::smallint AS ends_year,
                  count(*) FILTER (WHERE status = 'enrolled')::integer AS enrolled_now,
                  count(*) FILTER (WHERE status = 'completed')::integer AS completed,
                  count(*) FILTER (WHERE status = 'dropped')::integer AS dropped
           FROM enrolments WHERE county_code = $1 AND status IN ('enrolled', 'completed', 'dropped')
           GROUP BY 1, 2""",
        county_code,
    )


async def person_skills_differences(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """person_skills against the number of different trades each person completed, from the records."""
    return await conn.fetch(
        """SELECT coalesce(k.person_id, r.person_id) AS person_id, coalesce(k.trades, 0) AS kept,
                  coalesce(r.trades, 0) AS counted
           FROM (SELECT person_id, trades FROM person_skills WHERE county_code = $1 AND trades <> 0) k
           FULL JOIN (SELECT person_id, count(DISTINCT trade_code)::integer AS trades FROM enrolments
                      WHERE county_code = $1 AND status = 'completed' GROUP BY person_id) r
             ON r.person_id = k.person_id
           WHERE coalesce(k.trades, 0) <> coalesce(r.trades, 0)""",
        county_code,
    )


# Distinct people and households by period (migration 0013): the folded counts plus the log not yet folded.
# `what` of the periods `periods`, and only the county totals (persons:county) of `totals_of` (the months
# of a period: by month, nothing finer is shown).
DISTINCT_COUNTS = """
    SELECT what, key, period, poverty_status, sum(n)::integer AS n FROM (
        SELECT what, key, period, poverty_status, n FROM distinct_counts
        WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND year = $2 AND key LIKE $5 || '%'
          AND ((period = ANY($3::text[]) AND what = ANY($4::text[]))
               OR (period = ANY($6::text[]) AND what = 'persons:county'))
        UNION ALL
        SELECT what, key, period, poverty_status, delta FROM distinct_counts_log
        WHERE ($1::text[] IS NULL OR county_code = ANY($1)) AND year = $2 AND key LIKE $5 || '%'
          AND ((period = ANY($3::text[]) AND what = ANY($4::text[]))
               OR (period = ANY($6::text[]) AND what = 'persons:county'))) d
    GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0"""


async def distinct_counts(conn: Conn, counties: list[str] | None, year: int, periods: list[str], what: list[str],
                          key_prefix: str, totals_of: list[str] | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(DISTINCT_COUNTS, counties, year, periods, what, key_prefix, totals_of or [])


async def fold_distinct_counts(conn: Conn) -> int:
    folded: int = await conn.fetchval("SELECT distinct_counts_fold()")
    return folded


async def raw_distinct_counts(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """distinct_counts as counted from the completions, the households and the people's trades."""
    return await conn.fetch(
        """WITH done AS (
               SELECT en.county_code, extract(year FROM en.completed_on)::smallint AS year,
                      extract(month FROM en.completed_on)::smallint AS month, en.person_id, en.household_id,
                      en.village_code, en.trade_code, en.school_id
               FROM enrolments en WHERE en.county_code = $1 AND en.status = 'completed'),
           periods AS (SELECT d.*, p.period FROM done d CROSS JOIN LATERAL unnest(progress_periods(d.month)) p(period))
           SELECT p.year, p.period, x.what, x.key, '' AS poverty_status, count(DISTINCT p.person_id)::integer AS n
           FROM periods p
           CROSS JOIN LATERAL (VALUES ('persons:county', p.county_code),
                                      ('persons:township', left(p.village_code, 9) || '000'),
                                      ('persons:village', p.village_code), ('persons:trade', p.trade_code),
                                      ('persons:school', p.school_id::text)) AS x(what, key)
           GROUP BY 1, 2, 3, 4
           UNION ALL
           SELECT p.year, p.period, 'covered', h.village_code, h.poverty_status, count(DISTINCT h.id)::integer
           FROM periods p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           GROUP BY 1, 2, 4, 5
           UNION ALL
           SELECT 0, 'ever', 'two_skills', h.village_code, h.poverty_status, count(DISTINCT h.id)::integer
           FROM (SELECT county_code, person_id, min(household_id::text)::uuid AS household_id FROM enrolments
                 WHERE county_code = $1 AND status = 'completed' GROUP BY 1, 2
                 HAVING count(DISTINCT trade_code) >= 2) t
           JOIN households h ON h.county_code = t.county_code AND h.id = t.household_id
           GROUP BY 4, 5""",
        county_code,
    )


async def distinct_count_rows(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT year, period, what, key, poverty_status, sum(n)::integer AS n FROM (
               SELECT year, period, what, key, poverty_status, n FROM distinct_counts WHERE county_code = $1
               UNION ALL
               SELECT year, period, what, key, poverty_status, delta FROM distinct_counts_log WHERE county_code = $1) d
           GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0""",
        county_code,
    )
