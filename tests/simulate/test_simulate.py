"""The simulated county, as a specification: the same seed writes the same county; every row of it
went through the services (an audit record for each, ID numbers that check, places only for the
eligible); the history holds every kind of place, last year finished and this year under way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date

import asyncpg
import pytest

from tests.conftest import cloned_database
from tests.helpers import today
from tests.seed import COUNTY_A
from training.core import db
from training.core.config import Settings
from training.core.crypto import Vault
from training.core.idcard import parse_id_number
from training.simulate.schemas import Simulation
from training.simulate.service import simulate

HOUSEHOLDS, YEARS, SEED = 120, 2, 3


async def run(dsn: str, settings: Settings, *, seed: int = SEED, workers: int = 0,
              households: int = HOUSEHOLDS) -> Simulation:
    async with AsyncExitStack() as stack:
        conn = await stack.enter_async_context(db.connect(dsn))
        extra = [await stack.enter_async_context(db.connect(dsn)) for _ in range(workers)]
        return await simulate(conn, settings, COUNTY_A, households, YEARS, seed, today(), workers=extra)


@pytest.fixture(scope="module")
async def simulated(admin_dsn: str, template_dsn: str, settings: Settings) -> AsyncIterator[tuple[str, Simulation]]:
    """One county simulated on three connections, shared by the tests that only read it."""
    async with cloned_database(admin_dsn) as dsn:
        yield dsn, await run(dsn, settings, workers=3)


@pytest.fixture
async def reader(simulated: tuple[str, Simulation]) -> AsyncIterator[asyncpg.Connection]:
    async with db.connect(simulated[0]) as connection:
        yield connection


async def test_the_same_seed_writes_the_same_county_whatever_the_workers(
        simulated: tuple[str, Simulation], database: str, settings: Settings) -> None:
    first = simulated[1]

    again = await run(database, settings, workers=0)

    assert again.fingerprint == first.fingerprint
    skip = {"seconds", "schools"}
    assert {k: getattr(again, k) for k in again.__struct_fields__ if k not in skip} == \
        {k: getattr(first, k) for k in first.__struct_fields__ if k not in skip}
    assert [s.name for s in again.schools] == [s.name for s in first.schools]


async def test_another_seed_writes_another_county(admin_dsn: str, template_dsn: str, settings: Settings,
                                                  simulated: tuple[str, Simulation]) -> None:
    async with cloned_database(admin_dsn) as dsn:
        other = await run(dsn, settings, seed=SEED + 1, households=30)

    assert other.fingerprint != simulated[1].fingerprint
    assert other.households == 30


async def test_every_row_went_through_the_services(reader: asyncpg.Connection, settings: Settings) -> None:
    """Each service writes an audit record with what it writes: a row without one was written around it."""
    for table, object_type, action in [("households", "household", "create"), ("people", "person", "create"),
                                       ("surveys", "survey", "create"), ("sessions", "session", "publish"),
                                       ("enrolments", "enrolment", "create"), ("employment", "employment", "create")]:
        missing = await reader.fetchval(
            f"""SELECT count(*) FROM {table} t WHERE t.county_code = $1 AND NOT EXISTS (
                   SELECT 1 FROM audit_log a WHERE a.county_code = t.county_code AND a.object_type = $2
                     AND a.action = $3 AND a.object_id = t.id::text)""", COUNTY_A, object_type, action)
        assert missing == 0, f"{missing} {table} rows have no {action} audit record"
    assert await reader.fetchval(
        """SELECT count(*) FROM enrolments e WHERE e.county_code = $1 AND e.status = 'completed' AND NOT EXISTS (
               SELECT 1 FROM audit_log a WHERE a.county_code = e.county_code AND a.object_type = 'enrolment'
                 AND a.action = 'complete' AND a.object_id = e.id::text)""", COUNTY_A) == 0


async def test_id_numbers_are_valid_and_agree_with_birth_date_and_sex(reader: asyncpg.Connection,
                                                                      settings: Settings) -> None:
    vault = Vault.from_data_dir(settings.data_dir)
    rows = await reader.fetch("SELECT id_enc, birth_date, sex FROM people WHERE county_code = $1", COUNTY_A)

    assert len(rows) > 3 * HOUSEHOLDS
    for row in rows:
        card = parse_id_number(vault.decrypt(row["id_enc"]), today())
        assert (card.birth_date, card.sex, card.address_code) == (row["birth_date"], row["sex"], COUNTY_A)


async def test_places_are_only_for_the_eligible_and_never_overlap(reader: asyncpg.Connection) -> None:
    bad = await reader.fetch(
        """SELECT e.id FROM enrolments e
           JOIN sessions s ON s.county_code = e.county_code AND s.id = e.session_id
           JOIN courses c ON c.county_code = s.county_code AND c.id = s.course_id
           JOIN people p ON p.county_code = e.county_code AND p.id = e.person_id
           CROSS JOIN LATERAL (SELECT extract(year FROM age(s.starts_on, p.birth_date))::int AS age) a
           WHERE e.county_code = $1 AND (a.age < coalesce(c.min_age, 0) OR a.age > coalesce(c.max_age, 200)
                 OR a.age < 16 OR a.age > CASE p.sex WHEN 'male' THEN 60 ELSE 55 END
                 OR p.labour_capacity IN ('lost', 'none') OR s.status <> 'published')""", COUNTY_A)
    assert bad == []
    overlapping = await reader.fetchval(
        """SELECT count(*) FROM enrolments a JOIN enrolments b ON a.county_code = b.county_code
             AND a.person_id = b.person_id AND a.id < b.id
             AND daterange(a.starts_on, a.ends_on, '[]') && daterange(b.starts_on, b.ends_on, '[]')
           WHERE a.county_code = $1""", COUNTY_A)
    assert overlapping == 0


async def test_the_history_has_every_kind_of_place(reader: asyncpg.Connection,
                                                   simulated: tuple[str, Simulation]) -> None:
    result = simulated[1]
    statuses = {(r["status"], r["passed"]) for r in await reader.fetch(
        "SELECT DISTINCT status, passed FROM enrolments WHERE county_code = $1", COUNTY_A)}

    assert {("completed", True), ("completed", False), ("withdrawn", None), ("dropped", None),
            ("enrolled", None)} <= statuses
    assert result.certified > 0 and result.employed > 0
    places = {r["place"] for r in await reader.fetch("SELECT DISTINCT place FROM employment WHERE county_code = $1",
                                                      COUNTY_A)}
    assert places == {"local", "migrant"}
    # Both eras of poverty status, surveys taken again over the years, and school leavers.
    assert await reader.fetchval("SELECT count(DISTINCT poverty_status) FROM households WHERE county_code = $1",
                                 COUNTY_A) == 4
    assert await reader.fetchval(
        "SELECT count(*) FROM households WHERE county_code = $1 AND poverty_status = 'lifted' AND lifted_year IS NULL",
        COUNTY_A) == 0
    assert await reader.fetchval(
        """SELECT count(*) FROM households WHERE county_code = $1 AND poverty_status = 'monitored'
           AND (monitor_type IS NULL OR risk_removed IS NULL)""", COUNTY_A) == 0
    assert await reader.fetchval(
        "SELECT count(*) FROM (SELECT person_id FROM surveys WHERE county_code = $1 GROUP BY 1 HAVING count(*) > 1) x",
        COUNTY_A) > 0
    assert result.lianghousheng > 0


async def test_last_year_is_finished_and_this_year_is_under_way(reader: asyncpg.Connection) -> None:
    now = today()
    last_year = await reader.fetchval(
        """SELECT count(*) FROM enrolments e JOIN sessions s ON s.county_code = e.county_code AND s.id = e.session_id
           WHERE e.county_code = $1 AND extract(year FROM s.ends_on) = $2 AND e.status = 'completed'""",
        COUNTY_A, now.year - 1)
    unfinished_past = await reader.fetchval(
        """SELECT count(*) FROM enrolments e WHERE e.county_code = $1 AND e.ends_on < $2
           AND e.status IN ('enrolled', 'waitlisted')""", COUNTY_A, now)
    open_sessions = await reader.fetchval(
        "SELECT count(*) FROM sessions WHERE county_code = $1 AND status = 'published' AND starts_on > $2",
        COUNTY_A, now)
    first_day = await reader.fetchval("SELECT min(starts_on) FROM sessions WHERE county_code = $1", COUNTY_A)

    assert last_year > 0
    assert unfinished_past == 0, "every place in a session that has ended is settled"
    assert open_sessions > 0
    assert first_day >= date(now.year - YEARS + 1, 1, 1)
