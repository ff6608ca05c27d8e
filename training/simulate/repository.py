"""What the simulator reads for itself: the county's villages, whether it already has people, the
trades' categories, and a summary and fingerprint of what it wrote (for reports and reproducibility)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from training.core.rules import Rule

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


async def villages(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT code, name, parent_code, key_poverty, coalesce(lat, 0) AS lat, coalesce(lon, 0) AS lon
           FROM regions WHERE county_code = $1 AND level = 'village' ORDER BY code""",
        county_code,
    )


async def households_in_county(conn: Conn, county_code: str) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM households WHERE county_code = $1", county_code)
    return count


async def people_ids(conn: Conn, county_code: str) -> dict[bytes, UUID]:
    """Person ids by ID-number look-up hash: how the ledger's rows are found again."""
    rows = await conn.fetch("SELECT id, id_hash FROM people WHERE county_code = $1", county_code)
    return {bytes(r["id_hash"]): r["id"] for r in rows}


async def household_ids(conn: Conn, county_code: str) -> dict[str, UUID]:
    rows = await conn.fetch(
        "SELECT id, household_no FROM households WHERE county_code = $1 AND household_no IS NOT NULL", county_code)
    return {r["household_no"]: r["id"] for r in rows}


async def trade_categories(conn: Conn) -> dict[str, str]:
    return {r["code"]: r["category"] for r in await conn.fetch("SELECT code, category FROM trades")}


async def school_ids(conn: Conn, county_code: str, names: list[str]) -> dict[str, asyncpg.Record]:
    rows = await conn.fetch("SELECT id, name FROM schools WHERE county_code = $1 AND name = ANY($2::text[])",
                            county_code, names)
    return {r["name"]: r for r in rows}


async def summary(conn: Conn, county_code: str, rule: Rule) -> asyncpg.Record:
    row = await conn.fetchrow(
        """SELECT
             (SELECT count(*) FROM households WHERE county_code = $1) AS households,
             (SELECT count(*) FROM households WHERE county_code = $1 AND poverty_status <> 'ordinary') AS poor_households,
             (SELECT count(*) FROM people WHERE county_code = $1) AS people,
             (SELECT count(*) FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
                CROSS JOIN LATERAL lianghousheng(h.poverty_status, p.education, p.in_school, p.left_school_year,
                                                 p.birth_date, p.sex, $2, $3, $4, $5, $6, $7) l
              WHERE p.county_code = $1 AND l.qualifies) AS lianghousheng,
             (SELECT count(*) FROM surveys WHERE county_code = $1) AS surveys,
             (SELECT count(*) FROM sessions WHERE county_code = $1) AS sessions,
             (SELECT count(*) FROM enrolments WHERE county_code = $1) AS enrolments,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND status = 'enrolled') AS enrolled,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND status = 'waitlisted') AS waitlisted,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND status = 'withdrawn') AS withdrawn,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND status = 'dropped') AS dropped,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND status = 'completed') AS completed,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND status = 'completed' AND passed) AS passed,
             (SELECT count(*) FROM enrolments WHERE county_code = $1 AND certificate_no IS NOT NULL) AS certified,
             (SELECT count(*) FROM employment WHERE county_code = $1) AS employed""",
        county_code, rule.as_of, rule.years, rule.male[0], rule.male[1], rule.female[0], rule.female[1],
    )
    assert row is not None
    return row


# The rows that matter, by their natural keys (household number, masked ID number and name, course
# title and dates), never by generated ids or timestamps: equal for two runs with the same seed.
_FINGERPRINT = """
    SELECT md5(string_agg(line, E'\\n' ORDER BY line)) FROM (
        SELECT concat_ws('|', 'h', household_no, village_code, head_name, poverty_status, lifted_year, monitor_type,
                         risk_removed, array_to_string(poverty_causes, ','), phone_masked) AS line
        FROM households WHERE county_code = $1
        UNION ALL
        SELECT concat_ws('|', 'p', h.household_no, p.name, p.id_masked, p.birth_date, p.sex, p.relation, p.ethnicity,
                         p.education, p.in_school, p.left_school_year, p.labour_capacity, p.disability, p.work_status,
                         p.phone_masked, array_to_string(p.skills, ','))
        FROM people p JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
        WHERE p.county_code = $1
        UNION ALL
        SELECT concat_ws('|', 's', p.id_masked, p.name, s.surveyed_on, array_to_string(s.desired_trades, ','),
                         s.training_kind, array_to_string(s.available_months, ','), s.max_travel_km, s.can_board,
                         s.wants_certificate, s.wants_job)
        FROM surveys s JOIN people p ON p.county_code = s.county_code AND p.id = s.person_id WHERE s.county_code = $1
        UNION ALL
        SELECT concat_ws('|', 'c', c.title, se.starts_on, se.ends_on, se.village_code, se.capacity, se.status,
                         se.enrolled_count)
        FROM sessions se JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
        WHERE se.county_code = $1
        UNION ALL
        SELECT concat_ws('|', 'e', c.title, se.starts_on, se.village_code, p.id_masked, p.name, en.status, en.source,
                         en.reason, en.completed_on, en.passed, en.skill_level, en.certificate_no, en.override_reason,
                         (SELECT count(*) FROM attendance a WHERE a.county_code = en.county_code
                            AND a.enrolment_id = en.id AND a.present),
                         (SELECT string_agg(concat_ws(':', em.employed_on, em.place, em.employer, em.monthly_income), ';')
                          FROM employment em WHERE em.county_code = en.county_code AND em.enrolment_id = en.id))
        FROM enrolments en
        JOIN sessions se ON se.county_code = en.county_code AND se.id = en.session_id
        JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
        JOIN people p ON p.county_code = en.county_code AND p.id = en.person_id
        WHERE en.county_code = $1
    ) rows"""


async def fingerprint(conn: Conn, county_code: str) -> str:
    value: str | None = await conn.fetchval(_FINGERPRINT, county_code)
    return value or ""


async def outcome_rows(conn: Conn, county_code: str) -> list[asyncpg.Record]:
    """Every place taken with what the survey before it said: for checking the assumptions."""
    return await conn.fetch(
        """SELECT en.status, en.passed, c.trade_code, c.kind, se.starts_on, se.village_code AS session_village,
                  h.village_code AS home_village, p.sex, p.disability, p.work_status,
                  (SELECT s.desired_trades FROM surveys s WHERE s.county_code = p.county_code AND s.person_id = p.id
                     AND s.surveyed_on <= se.starts_on ORDER BY s.surveyed_on DESC, s.created_at DESC LIMIT 1)
                     AS desired_trades
           FROM enrolments en
           JOIN sessions se ON se.county_code = en.county_code AND se.id = en.session_id
           JOIN courses c ON c.county_code = se.county_code AND c.id = se.course_id
           JOIN people p ON p.county_code = en.county_code AND p.id = en.person_id
           JOIN households h ON h.county_code = p.county_code AND h.id = p.household_id
           WHERE en.county_code = $1""",
        county_code,
    )

