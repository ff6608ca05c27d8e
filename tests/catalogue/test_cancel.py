"""Cancelling a session (取消培训班): its school or an admin, with a reason; everyone signed up is
cancelled with it and the seats are released; nobody else may, and another county cannot find it."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.enrolment.checks import assert_seat_invariant
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import assert_problem, draft_session, published_session, today

REASON = {"reason": "授课教师生病，改期另行通知"}


async def full_session(api: Api) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """One seat, taken; one person waiting; and someone not signed up yet."""
    session = await published_session(api, capacity=1)
    *signed_up, spare = await people(api, 3)
    entries = [(await enrol(api, session, p)).json() for p in signed_up]
    assert [e["status"] for e in entries] == ["enrolled", "waitlisted"]
    return session, entries, spare


@pytest.mark.parametrize("user", ["school_a", "admin_a", "sysadmin"])
async def test_the_school_or_an_admin_cancels_and_everyone_signed_up_is_cancelled(
        api: Api, conn: asyncpg.Connection, user: str) -> None:
    session, entries, _ = await full_session(api)
    response = await api.post(f"/api/sessions/{session['id']}/cancel", user, json=REASON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["status_label"]) == ("cancelled", "已取消")
    assert {k: body[k] for k in ("seats_left", "enrolled", "waitlisted")} == {
        "seats_left": 0, "enrolled": 0, "waitlisted": 0}
    for entry in entries:
        now = (await api.get(f"/api/enrolments/{entry['id']}", "school_a")).json()
        assert (now["status"], now["status_label"], now["reason"]) == ("cancelled", "已取消", REASON["reason"])
    assert await conn.fetchval("SELECT enrolled_count FROM sessions WHERE id = $1", uuid.UUID(session["id"])) == 0
    log = (await api.get("/api/audit", "admin_a", params={"action": "cancel"})).json()["items"]
    assert sorted((e["object_type"], e["object_id"]) for e in log) == sorted(
        [("session", session["id"])] + [("enrolment", e["id"]) for e in entries])
    assert all(e["changes"]["reason"] == REASON["reason"] for e in log)
    await assert_seat_invariant(api, conn, session["id"])


async def test_a_cancelled_session_takes_no_sign_ups_and_is_not_cancelled_twice(api: Api) -> None:
    session, _, spare = await full_session(api)
    assert (await api.post(f"/api/sessions/{session['id']}/cancel", "school_a", json=REASON)).status_code == 200
    assert_problem(await api.post(f"/api/sessions/{session['id']}/cancel", "school_a", json=REASON), 409)
    assert_problem(await enrol(api, session, spare), 409)
    assert_problem(await api.post(f"/api/sessions/{session['id']}/publish", "school_a"), 409)


async def test_a_session_someone_completed_has_run_and_cannot_be_cancelled(
        api: Api, conn: asyncpg.Connection) -> None:
    session, entries, _ = await full_session(api)
    await conn.execute("UPDATE sessions SET starts_on = $2 WHERE id = $1", uuid.UUID(session["id"]), today())
    await conn.execute("UPDATE enrolments SET starts_on = $1", today())
    done = await api.post(f"/api/enrolments/{entries[0]['id']}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "override_reason": "补课后结业"})
    assert done.status_code == 200, done.text
    assert "结业" in assert_problem(await api.post(f"/api/sessions/{session['id']}/cancel", "school_a", json=REASON),
                                  409)["detail"]
    assert (await api.get(f"/api/sessions/{session['id']}", "school_a")).json()["status"] == "published"
    assert (await api.get(f"/api/enrolments/{entries[1]['id']}", "school_a")).json()["status"] == "waitlisted"
    await assert_seat_invariant(api, conn, session["id"])


async def test_a_draft_can_be_cancelled(api: Api) -> None:
    draft = await draft_session(api)
    response = await api.post(f"/api/sessions/{draft['id']}/cancel", "school_a", json=REASON)
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


async def test_cancelling_needs_a_reason(api: Api) -> None:
    session = await published_session(api)
    assert_problem(await api.post(f"/api/sessions/{session['id']}/cancel", "school_a", json={}), 400)
    assert_problem(await api.post(f"/api/sessions/{session['id']}/cancel", "school_a", json={"reason": ""}), 400)


@pytest.mark.parametrize(("user", "status"), [
    ("official_a", 403), ("school_b", 403), ("surveyor_a", 403),
    ("official_c", 403), ("admin_c", 404), ("school_c", 404)])
async def test_nobody_else_cancels(api: Api, conn: asyncpg.Connection, user: str, status: int) -> None:
    session, entries, _ = await full_session(api)
    assert_problem(await api.post(f"/api/sessions/{session['id']}/cancel", user, json=REASON), status)
    assert (await api.get(f"/api/sessions/{session['id']}", "school_a")).json()["status"] == "published"
    assert await conn.fetchval("SELECT count(*) FROM enrolments WHERE status = 'cancelled'") == 0
    assert entries[0]["person_name"] not in (await api.post(
        f"/api/sessions/{session['id']}/cancel", user, json=REASON)).text
