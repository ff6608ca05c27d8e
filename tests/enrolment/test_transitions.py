"""Every state change of an enrolment is one guarded transition: raced two at a time, in every pairing
(on one enrolment and on two enrolments of one session), the seats and the waitlist stay exact."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from itertools import combinations_with_replacement
from typing import Any

import asyncpg
import httpx
import pytest

from tests import cluster
from tests.conftest import Api
from tests.enrolment.checks import assert_seat_invariant
from tests.enrolment.test_enrolment import enrol
from tests.helpers import published_session, today
from tests.registry.test_households import create
from tests.seed import COUNTY_A

REASON = {"reason": "赛跑"}
COMPLETION = {"completed_on": today().isoformat(), "passed": True, "override_reason": "补课后结业"}


async def newcomers(conn: asyncpg.Connection, household: str, n: int) -> list[str]:
    """n working-age people of one household, straight into the table: the transitions, not the
    registry, are under test here."""
    born = today() - timedelta(days=25 * 365)
    ids = [uuid.uuid4() for _ in range(n)]
    await conn.copy_records_to_table("people", columns=[
        "county_code", "id", "household_id", "name", "id_hash", "id_enc", "id_masked", "birth_date", "sex",
        "relation", "education", "labour_capacity", "work_status"], records=[
        (COUNTY_A, pid, uuid.UUID(household), f"赛{pid.hex[:6]}", uuid.uuid4().bytes, b"x", "513***********0000",
         born, "male", "子女", "71", "full", "farming") for pid in ids])
    return [str(pid) for pid in ids]


async def running_session(api: Api, conn: asyncpg.Connection, household: str
                          ) -> tuple[dict[str, Any], dict[str, str], str]:
    """A one-seat session that has begun: A holds the seat, B and C wait in that order; D is not signed up."""
    session = await published_session(api, capacity=1, start=10, length=4)
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1", uuid.UUID(session["id"]),
                       today() - timedelta(days=2), today() + timedelta(days=2))
    a, b, c, d = await newcomers(conn, household, 4)
    entries: dict[str, str] = {}
    for name, person in (("A", a), ("B", b), ("C", c)):
        response = await enrol(api, session, person, as_="admin_a")
        assert response.status_code == 201, response.text
        entries[name] = response.json()["id"]
    return session, entries, d


Op = Callable[[Api, dict[str, Any], dict[str, str], str], Awaitable[httpx.Response]]
OPS: dict[str, Op] = {
    "enrol D": lambda api, s, e, d: enrol(api, s, d, as_="admin_a"),
    "withdraw A": lambda api, s, e, d: api.post(f"/api/enrolments/{e['A']}/withdraw", "surveyor_a", json=REASON),
    "drop A": lambda api, s, e, d: api.post(f"/api/enrolments/{e['A']}/drop", "school_a", json=REASON),
    "complete A": lambda api, s, e, d: api.post(f"/api/enrolments/{e['A']}/complete", "school_a", json=COMPLETION),
    "withdraw B": lambda api, s, e, d: api.post(f"/api/enrolments/{e['B']}/withdraw", "surveyor_a", json=REASON),
    "drop B": lambda api, s, e, d: api.post(f"/api/enrolments/{e['B']}/drop", "school_a", json=REASON),
    "complete B": lambda api, s, e, d: api.post(f"/api/enrolments/{e['B']}/complete", "school_a", json=COMPLETION),
    "cancel": lambda api, s, e, d: api.post(f"/api/sessions/{s['id']}/cancel", "school_a", json=REASON),
}
PAIRS = list(combinations_with_replacement(OPS, 2))
ROUNDS = 3


async def test_every_pair_of_transitions_raced_keeps_the_seats_exact(api: Api, conn: asyncpg.Connection) -> None:
    household = (await create(api, household_no="RACE"))["id"]
    for round_ in range(ROUNDS):
        for first, second in PAIRS:
            context = f"round {round_}: {first} | {second}"
            session, entries, newcomer = await running_session(api, conn, household)
            answers = await asyncio.gather(OPS[first](api, session, entries, newcomer),
                                           OPS[second](api, session, entries, newcomer))
            assert {r.status_code for r in answers} <= {200, 201, 409}, (context, [r.text for r in answers])
            # Two moves of the same enrolment (or two cancellations): exactly one of them happens (B, waiting,
            # can never be completed, so two completions of B both fail).
            if first.split()[-1] == second.split()[-1] and first != "enrol D" and first != "complete B" != second:
                assert sorted(r.status_code for r in answers) == [200, 409], (context, [r.text for r in answers])
            await assert_seat_invariant(api, conn, session["id"], context)
            cancelled = await conn.fetchval("SELECT count(*) FROM audit_log WHERE object_type = 'session' "
                                            "AND action = 'cancel' AND object_id = $1", session["id"])
            status = await conn.fetchval("SELECT status FROM sessions WHERE id = $1", uuid.UUID(session["id"]))
            assert (status, cancelled) in (("published", 0), ("cancelled", 1)), context


async def wait_for_lock_waiters(conn: asyncpg.Connection, n: int) -> None:
    for _ in range(500):
        # Activity statistics are a snapshot per transaction: take a fresh one each time.
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'")
        if waiting >= n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{n} requests never queued for the lock")


@pytest.mark.skipif(cluster.ENABLED, reason="on Citus the row lock is waited for on a worker, where "
                                            "wait_for_lock_waiters (the coordinator's pg_locks) cannot see it")
async def test_a_completion_that_read_enrolled_before_a_withdrawal_landed_does_not_complete(
        api: Api, conn: asyncpg.Connection) -> None:
    """The race that overbooked: complete(A) read A as enrolled, withdraw(A) freed the seat for B, then
    complete(A) wrote 'completed' over 'withdrawn': two places taken from one. Interleaved on purpose
    here: A's row is held until the withdrawal and then the completion both wait for it."""
    household = (await create(api, household_no="RACE"))["id"]
    session, entries, _ = await running_session(api, conn, household)
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM enrolments WHERE county_code = $2 AND id = $1 FOR UPDATE",
                           uuid.UUID(entries["A"]), COUNTY_A)
        withdrawal: asyncio.Future[httpx.Response] = asyncio.ensure_future(OPS["withdraw A"](api, session, entries, ""))
        await wait_for_lock_waiters(conn, 1)
        completion: asyncio.Future[httpx.Response] = asyncio.ensure_future(OPS["complete A"](api, session, entries, ""))
        await wait_for_lock_waiters(conn, 2)
    assert (await withdrawal).status_code == 200
    assert (await completion).status_code == 409
    statuses = {r["id"]: r["status"] for r in await conn.fetch("SELECT id, status FROM enrolments")}
    assert [statuses[uuid.UUID(entries[k])] for k in "ABC"] == ["withdrawn", "enrolled", "waitlisted"]
    await assert_seat_invariant(api, conn, session["id"])
