"""The rollups behind /api/progress equal a recount of the records after anything at all: a seeded random
run of sign-ups, withdrawals, drops, completions, employment records, cancellations, date moves and
household changes, then the same operations raced against each other."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol
from tests.enrolment.test_transitions import newcomers
from tests.helpers import published_session, today
from tests.progress.county import build
from tests.registry.test_households import create, id_number, member, years_ago
from tests.seed import COUNTY_A, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE
from training.enrolment import service as enrolment
from training.registry import service as registry


async def assert_reconciled(conn: asyncpg.Connection, context: str = "") -> None:
    assert await enrolment.rollup_differences(conn, COUNTY_A) == [], context
    assert await registry.household_count_differences(conn, COUNTY_A) == [], context


async def begun(api: Api, conn: asyncpg.Connection, capacity: int, days_ago: int = 2) -> dict[str, Any]:
    session = await published_session(api, capacity=capacity, start=10, length=4)
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1", uuid.UUID(session["id"]),
                       today() - timedelta(days=days_ago), today() + timedelta(days=2))
    return session


async def act(api: Api, rng: random.Random, sessions: list[dict[str, Any]], crowd: list[str],
              entries: list[str], completed: list[str]) -> int:
    """One random operation through the API; its status code."""
    action = rng.choice(["enrol", "enrol", "enrol", "withdraw", "drop", "complete", "complete", "employ"])
    if action == "enrol" or not entries:
        response = await enrol(api, rng.choice(sessions), rng.choice(crowd), as_="admin_a")
        if response.status_code == 201:
            entries.append(response.json()["id"])
    elif action == "complete":
        entry = rng.choice(entries)
        response = await api.post(f"/api/enrolments/{entry}/complete", "admin_a", json={
            "completed_on": today().isoformat(), "passed": rng.random() < 0.8, "override_reason": "补课后结业",
            **({"certificate_no": "B" + str(rng.randrange(10**20, 10**21))} if rng.random() < 0.3 else {})})
        if response.status_code == 200:
            completed.append(entry)
    elif action == "employ":
        response = await api.post(f"/api/enrolments/{rng.choice(completed or entries)}/employment", "admin_a", json={
            "employed_on": today().isoformat(), "place": rng.choice(["local", "migrant"])})
    else:
        response = await api.post(f"/api/enrolments/{rng.choice(entries)}/{action}", "admin_a",
                                  json={"reason": "随机"})
    return response.status_code


async def test_rollups_equal_a_recount_after_a_random_run(api: Api, conn: asyncpg.Connection) -> None:
    h1 = await create(api, household_no="R-1")
    h2 = await create(api, "surveyor_b", household_no="R-2", village_code=OTHER_TOWNSHIP_VILLAGE,
                      poverty_status="monitored", lifted_year=None, monitor_type="marginal",
                      members=[member("罗二", id_number(years_ago(30), 77), relation="户主")])
    crowd = await newcomers(conn, h1["id"], 6) + await newcomers(conn, h2["id"], 6)
    sessions = [await begun(api, conn, 3), await begun(api, conn, 2, days_ago=1),
                await published_session(api, capacity=2, start=30, length=3)]
    await assert_reconciled(conn, "after the set-up")
    rng = random.Random(9)
    entries: list[str] = []
    completed: list[str] = []
    seen: set[int] = set()
    for step in range(60):
        seen.add(await act(api, rng, sessions, crowd, entries, completed))
        if step == 30:
            # A session's dates move (as tests and clerks do) and a household's status and village change.
            await conn.execute("UPDATE enrolments SET starts_on = starts_on - 1 WHERE session_id = $1",
                               uuid.UUID(sessions[0]["id"]))
            changed = await api.patch(f"/api/households/{h1['id']}", "admin_a",
                                      json={"poverty_status": "registered_poor", "lifted_year": None})
            assert changed.status_code == 200, changed.text
            # The API never moves a household; a correction in the database must still keep the counts.
            await conn.execute("UPDATE households SET village_code = $2 WHERE id = $1", uuid.UUID(h2["id"]),
                               KEY_VILLAGE_2)
        if step == 45:
            cancelled = await api.post(f"/api/sessions/{sessions[2]['id']}/cancel", "admin_a",
                                       json={"reason": "师资调整"})
            assert cancelled.status_code == 200, cancelled.text
        if step % 3 == 0:
            await enrolment.fold_rollups(conn)  # folded and unfolded changes both count
        await assert_reconciled(conn, f"step {step}")
    statuses = {r["status"] for r in await conn.fetch("SELECT DISTINCT status FROM enrolments")}
    assert statuses >= {"enrolled", "waitlisted", "completed", "dropped", "cancelled"}  # the run exercised them
    assert await conn.fetchval("SELECT count(*) FROM employment") > 0
    assert 201 in seen and 409 in seen


async def test_rollups_equal_a_recount_after_raced_operations(api: Api, conn: asyncpg.Connection) -> None:
    h = await create(api, household_no="R-3")
    crowd = await newcomers(conn, h["id"], 30)
    sessions = [await begun(api, conn, 5), await begun(api, conn, 5)]
    # A burst of sign-ups for two sessions at once (seats and waitlists filling in parallel).
    answers = await asyncio.gather(*(enrol(api, sessions[i % 2], p, as_="admin_a") for i, p in enumerate(crowd)))
    entries = [a.json()["id"] for a in answers if a.status_code == 201]
    assert len(entries) == 30
    await assert_reconciled(conn, "after the burst")
    rng = random.Random(11)
    for round_ in range(6):
        # The same enrolment completed, withdrawn, dropped and given two employment records at once, and
        # other enrolments of both sessions moved at the same time.
        target = rng.choice(entries)
        others = rng.sample(entries, 4)
        calls = [
            api.post(f"/api/enrolments/{target}/complete", "admin_a", json={
                "completed_on": today().isoformat(), "passed": True, "override_reason": "补课"}),
            api.post(f"/api/enrolments/{target}/withdraw", "admin_a", json={"reason": "赛跑"}),
            api.post(f"/api/enrolments/{target}/drop", "admin_a", json={"reason": "赛跑"}),
            *(api.post(f"/api/enrolments/{o}/complete", "admin_a", json={
                "completed_on": today().isoformat(), "passed": True, "override_reason": "补课"}) for o in others[:2]),
            *(api.post(f"/api/enrolments/{o}/withdraw", "admin_a", json={"reason": "赛跑"}) for o in others[2:]),
            # county-wide reads fold the log while the changes above are being written
            api.get("/api/progress", "official_a", params={"region_code": COUNTY_A, "year": today().year}),
            api.get("/api/progress", "admin_a", params={"region_code": COUNTY_A, "year": today().year}),
        ]
        results = await asyncio.gather(*calls)
        assert all(r.status_code in (200, 409) for r in results), [r.text for r in results]
        completed = [e for e in [target, *others]
                     if (await api.get(f"/api/enrolments/{e}", "admin_a")).json()["status"] == "completed"]
        if completed:
            jobs = await asyncio.gather(*(api.post(f"/api/enrolments/{completed[0]}/employment", "admin_a", json={
                "employed_on": today().isoformat(), "place": "local"}) for _ in range(3)))
            assert all(j.status_code == 201 for j in jobs), [j.text for j in jobs]
        await assert_reconciled(conn, f"round {round_}")
    employed = await conn.fetchval("SELECT count(DISTINCT enrolment_id) FROM employment")
    kept = await conn.fetchval("SELECT sum(employed) FROM enrolment_rollup WHERE county_code = $1", COUNTY_A)
    assert employed > 0 and kept == employed  # three records at once count one employed trainee


async def test_a_rolled_back_change_moves_no_count(api: Api, conn: asyncpg.Connection) -> None:
    h = await create(api, household_no="R-4")
    person = (await newcomers(conn, h["id"], 1))[0]
    session = await begun(api, conn, 2)
    entry = (await enrol(api, session, person, as_="admin_a")).json()["id"]
    before = await conn.fetch("SELECT * FROM enrolment_rollup ORDER BY 1, 2, 3, 4, 5, 6")
    # A certificate number already used elsewhere: the completion fails with a 409 and leaves no trace.
    other = (await newcomers(conn, h["id"], 1))[0]
    first = (await enrol(api, session, other, as_="admin_a")).json()["id"]
    done = await api.post(f"/api/enrolments/{first}/complete", "admin_a", json={
        "completed_on": today().isoformat(), "passed": True, "certificate_no": "C" + "2" * 21, "override_reason": "x"})
    assert done.status_code == 200
    before = await conn.fetch("SELECT * FROM enrolment_rollup ORDER BY 1, 2, 3, 4, 5, 6")
    refused = await api.post(f"/api/enrolments/{entry}/complete", "admin_a", json={
        "completed_on": today().isoformat(), "passed": True, "certificate_no": "C" + "2" * 21, "override_reason": "x"})
    assert refused.status_code == 409, refused.text
    assert await conn.fetch("SELECT * FROM enrolment_rollup ORDER BY 1, 2, 3, 4, 5, 6") == before
    await assert_reconciled(conn)


async def test_one_statement_changing_several_enrolments_of_a_session(api: Api, conn: asyncpg.Connection) -> None:
    """A clerk's correction in SQL moves a session's last day for everyone signed up, and drops everyone
    still in a session whose sign-ups ended on different days: each statement changes several rows that
    are counted under one session (it used to fail with "ON CONFLICT DO UPDATE command cannot affect row
    a second time"), and the counts still equal a recount."""
    county = await build(api, conn)
    s1, s3 = uuid.UUID(county.sessions["S1"]["id"]), uuid.UUID(county.sessions["S3"]["id"])
    moved = await conn.execute("UPDATE enrolments SET ends_on = ends_on + 1 WHERE session_id = $1", s1)
    assert moved == "UPDATE 3"
    await assert_reconciled(conn, "after moving S1's last day")
    await conn.execute("UPDATE enrolments SET ends_on = ends_on + 2 WHERE id = $1",
                       uuid.UUID(county.enrolments["p5@S3"]))
    dropped = await conn.execute(
        "UPDATE enrolments SET status = 'dropped', waitlist_seq = NULL, reason = '停班' "
        "WHERE session_id = $1 AND status IN ('enrolled', 'waitlisted')", s3)
    assert dropped == "UPDATE 2"
    await assert_reconciled(conn, "after dropping S3's sign-ups")
    await enrolment.fold_rollups(conn)
    await assert_reconciled(conn, "after a fold")
    p = (await api.get("/api/progress", "official_a", params={"region_code": COUNTY_A, "year": today().year})).json()
    assert (p["enrolled_now"], p["waitlisted_now"]) == (1, 0)  # p4 in S1; S3's two dropped
