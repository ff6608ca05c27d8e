"""The session roster is one set-based query, paged like every other list; and the indexes the existing
queries need are there and used."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

import asyncpg
import pytest

from tests import cluster
from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import published_session, today
from tests.registry.test_households import create
from tests.seed import COUNTY_A, KEY_VILLAGE
from training.catalogue import repository as catalogue_repo
from training.enrolment import repository as enrolment_repo


async def test_the_roster_is_paged_with_a_total_and_the_sessions_figures(api: Api) -> None:
    session = await published_session(api, capacity=3)
    signed = [(await enrol(api, session, p)).json() for p in await people(api, 5)]
    url = f"/api/sessions/{session['id']}/enrolments"
    first = (await api.get(url, "school_a", params={"limit": 2})).json()
    second = (await api.get(url, "school_a", params={"limit": 2, "offset": 2})).json()
    last = (await api.get(url, "school_a", params={"limit": 2, "offset": 4})).json()
    assert [p["total"] for p in (first, second, last)] == [5, 5, 5]
    rows = first["items"] + second["items"] + last["items"]
    assert [r["id"] for r in rows] == [s["id"] for s in signed]  # seated in arrival order, then the waitlist
    assert [r["waitlist_position"] for r in rows] == [None, None, None, 1, 2]
    assert {k: first[k] for k in ("capacity", "seats_left", "enrolled", "waitlisted", "by_status")} == {
        "capacity": 3, "seats_left": 0, "enrolled": 3, "waitlisted": 2, "by_status": {"enrolled": 3, "waitlisted": 2}}
    beyond = (await api.get(url, "school_a", params={"offset": 50})).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)
    assert (await api.get(url, "school_a", params={"limit": 501})).status_code == 400


class Explained:
    """Stands in for a connection: runs EXPLAIN of whatever query a repository function sends, so a test
    reads the plan of the real query with its real parameters."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.plans: list[str] = []

    async def _explain(self, sql: str, *args: Any) -> list[Any]:
        rows = await self.conn.fetch("EXPLAIN " + sql, *args)
        self.plans.append("\n".join(r[0] for r in rows))
        return []

    fetch = _explain

    async def fetchrow(self, sql: str, *args: Any) -> None:
        await self._explain(sql, *args)


async def plan_of(conn: asyncpg.Connection, call: Callable[[Any], Awaitable[object]]) -> str:
    explained = Explained(conn)
    await call(cast(Any, explained))
    return "\n".join(explained.plans)


async def test_the_roster_query_counts_once_for_the_whole_session(api: Api, conn: asyncpg.Connection) -> None:
    """No correlated sub-query per row (a SubPlan in the plan): that made 1,600 enrolments take 4 s."""
    session = await published_session(api)
    plan = await plan_of(conn, lambda c: enrolment_repo.enrolments(c, [COUNTY_A], session_id=uuid.UUID(session["id"]),
                                                                    limit=50, offset=0))
    assert "SubPlan" not in plan, plan


@pytest.fixture
async def no_seq_scans(conn: asyncpg.Connection) -> asyncpg.Connection:
    """On a test-sized table a sequential scan is always cheapest: forbid it to see which index a query can use."""
    await conn.execute("SET enable_seqscan = off")
    return conn


@pytest.mark.skipif(cluster.ENABLED, reason="on Citus the coordinator's EXPLAIN shows the distributed plan, not the "
                                            "shard's index scans; the index is checked on the embedded server")
async def test_the_menu_finds_a_sessions_packages_by_index(api: Api, no_seq_scans: asyncpg.Connection) -> None:
    """With a county's worth of packages, a session's packages are found by (county_code, session_id), not
    by walking the primary key (county_code, package_id, session_id) package by package."""
    conn = no_seq_scans
    template = uuid.UUID((await published_session(api))["id"])
    await conn.execute(
        """INSERT INTO sessions (county_code, course_id, school_id, starts_on, ends_on, village_code, capacity, status)
           SELECT county_code, course_id, school_id, starts_on + g, ends_on + g, village_code, capacity, status
           FROM sessions, generate_series(1, 60) g WHERE id = $1""", template)
    await conn.execute("INSERT INTO packages (county_code, name) SELECT $1, '包' || g FROM generate_series(1, 400) g",
                       COUNTY_A)
    # Three random sessions per package, chosen here (a lateral join across two distributed tables
    # without county_code is refused on Citus).
    sessions = [r["id"] for r in await conn.fetch("SELECT id FROM sessions WHERE county_code = $1", COUNTY_A)]
    packages = [r["id"] for r in await conn.fetch("SELECT id FROM packages WHERE county_code = $1", COUNTY_A)]
    pairs = [(p, s) for p in packages for s in random.sample(sessions, min(3, len(sessions)))]
    await conn.execute(
        """INSERT INTO package_sessions (county_code, package_id, session_id)
           SELECT $1, p, s FROM unnest($2::uuid[], $3::uuid[]) AS t(p, s)""",
        COUNTY_A, [p for p, _ in pairs], [s for _, s in pairs])
    # Most of the county's packages serve this key village, as they would.
    await conn.execute("INSERT INTO package_villages (county_code, package_id, village_code) "
                       "SELECT county_code, id, $1 FROM packages", KEY_VILLAGE)
    await conn.execute("ANALYZE")
    plan = await plan_of(conn, lambda c: catalogue_repo.menu(c, KEY_VILLAGE, COUNTY_A, today(), 50, 0))
    assert "package_sessions_session" in plan, plan


async def test_employment_is_found_by_enrolment_through_an_index(no_seq_scans: asyncpg.Connection) -> None:
    plan = await plan_of(no_seq_scans, lambda c: enrolment_repo.employment_of_person(c, COUNTY_A, uuid.uuid4()))
    assert "employment_enrolment" in plan, plan


async def test_a_big_roster_pages_quickly(api: Api, conn: asyncpg.Connection) -> None:
    """1,600 enrolments with five days of attendance: a page is one query, not 1,600 sub-queries."""
    session = await published_session(api, capacity=2000)
    household = await create(api, household_no="BIG")
    born = today() - timedelta(days=25 * 365)
    ids = [uuid.uuid4() for _ in range(1600)]
    await conn.copy_records_to_table("people", columns=[
        "county_code", "id", "household_id", "name", "id_hash", "id_enc", "id_masked", "birth_date", "sex",
        "relation", "education", "labour_capacity", "work_status"], records=[
        (COUNTY_A, pid, uuid.UUID(household["id"]), f"人{i}", uuid.uuid4().bytes, b"x", "513***********0000", born,
         "male", "子女", "71", "full", "farming") for i, pid in enumerate(ids)])
    sid = uuid.UUID(session["id"])
    await conn.execute(
        """INSERT INTO enrolments (county_code, session_id, person_id, school_id, status, starts_on, ends_on)
           SELECT $1, $2, p, se.school_id, 'enrolled', se.starts_on, se.ends_on
           FROM unnest($3::uuid[]) p, sessions se WHERE se.id = $2""", COUNTY_A, sid, ids)
    await conn.execute("UPDATE sessions SET enrolled_count = 1600 WHERE id = $1", sid)
    await conn.execute(
        """INSERT INTO attendance (county_code, enrolment_id, day, present)
           SELECT en.county_code, en.id, d::date, random() < 0.8 FROM enrolments en,
                  generate_series($2::date - 5, $2::date - 1, interval '1 day') d WHERE en.session_id = $1""",
        sid, today())
    await conn.execute("ANALYZE")
    page = (await api.get(f"/api/sessions/{session['id']}/enrolments", "school_a",
                          params={"limit": 50, "offset": 800})).json()
    assert (page["total"], len(page["items"]), page["enrolled"]) == (1600, 50, 1600)
    assert {e["recorded_days"] for e in page["items"]} == {5}
    plan = json.loads(await conn.fetchval(
        "EXPLAIN (ANALYZE, FORMAT JSON) " + enrolment_repo.ENROLMENTS, [COUNTY_A], None, sid, None, 50, 800, None, COUNTY_A))
    # The shape, not a time (a time measures the machine): no sub-plan runs once per enrolment of the
    # session (it ran 1,600 times when the recorded days were a sub-query); on Citus the same holds for
    # the plan each shard ran.
    loops = [node.get("Actual Loops", 0) for node in _nodes(plan) if node.get("Parent Relationship") == "SubPlan"]
    assert all(n <= 50 for n in loops), loops


def _nodes(tree: Any) -> list[dict[str, Any]]:
    """Every plan node of an EXPLAIN (FORMAT JSON), also inside Citus's distributed plan."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        found.append(tree)
        for value in tree.values():
            found += _nodes(value)
    elif isinstance(tree, list):
        for value in tree:
            found += _nodes(value)
    return found
