"""Seat figures (seats left, enrolled, waitlisted) are the same on every screen that shows a session, and
they are the count of its enrolments: the menu, the session list, one session, the sign-up list and the
roster all show the one figure the enrolment slice counts."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.enrolment.checks import assert_seat_invariant, direct_counts
from tests.enrolment.test_enrolment import enrol, people
from tests.helpers import published_session, today
from tests.seed import KEY_VILLAGE, VILLAGE_C

FIGURES = ("seats_left", "enrolled", "waitlisted")


async def shown(api: Api, session_id: str, as_: str = "admin_a") -> dict[str, dict[str, int]]:
    """The figures of one session as each screen shows them."""
    screens: dict[str, dict[str, Any]] = {}
    screens["session"] = (await api.get(f"/api/sessions/{session_id}", as_)).json()
    listed = (await api.get("/api/sessions", as_, params={"limit": 500})).json()["items"]
    screens["session list"] = next(s for s in listed if s["id"] == session_id)
    # The dashboard's sign-up form lists published sessions this way.
    sign_up = (await api.get("/api/sessions", as_, params={"status": "published", "limit": 100})).json()["items"]
    screens["sign-up list"] = next(s for s in sign_up if s["id"] == session_id)
    menu = (await api.get("/api/menu", as_, params={"village_code": KEY_VILLAGE})).json()["items"]
    screens["menu"] = next(i for i in menu if i["session_id"] == session_id)
    screens["roster"] = (await api.get(f"/api/sessions/{session_id}/enrolments", as_)).json()
    return {name: {k: screen[k] for k in FIGURES} for name, screen in screens.items()}


async def test_a_one_seat_session_with_two_sign_ups_shows_0_left_1_enrolled_1_waitlisted(
        api: Api, conn: asyncpg.Connection) -> None:
    session = await published_session(api, capacity=1)
    first, second, third = await people(api, 3)
    assert (await enrol(api, session, first)).json()["status"] == "enrolled"
    assert (await enrol(api, session, second)).json()["status"] == "waitlisted"
    expected = {"seats_left": 0, "enrolled": 1, "waitlisted": 1}
    assert await shown(api, session["id"]) == dict.fromkeys(
        ["session", "session list", "sign-up list", "menu", "roster"], expected)
    surveyor_menu = (await api.get("/api/menu", "surveyor_a", params={"village_code": KEY_VILLAGE})).json()
    assert {k: surveyor_menu["items"][0][k] for k in FIGURES} == expected
    third_entry = (await enrol(api, session, third)).json()
    first_entry = (await api.get(f"/api/sessions/{session['id']}/enrolments", "admin_a")).json()["items"][0]
    assert first_entry["person_id"] == first

    withdrawn = await api.post(f"/api/enrolments/{first_entry['id']}/withdraw", "surveyor_a", json={"reason": "外出务工"})
    assert withdrawn.status_code == 200
    after = {"seats_left": 0, "enrolled": 1, "waitlisted": 1}  # the second took the seat, the third still waits
    assert await shown(api, session["id"]) == dict.fromkeys(
        ["session", "session list", "sign-up list", "menu", "roster"], after)
    assert third_entry["status"] == "waitlisted"
    assert await direct_counts(conn, session["id"]) == {"capacity": 1, **after}
    await assert_seat_invariant(api, conn, session["id"])


async def test_every_screen_shows_the_direct_count_after_any_sequence_of_changes(
        api: Api, conn: asyncpg.Connection) -> None:
    """Crosses the slices: after each step of a random (seeded) run of enrol / withdraw / drop / complete
    on two sessions, every figure every screen shows equals a count of the enrolment rows."""
    started = await published_session(api, capacity=2, start=10, length=4)
    upcoming = await published_session(api, capacity=3, start=30, length=4)
    # The first has begun (so people can complete it); its enrolments copy these dates when made.
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1", uuid.UUID(started["id"]),
                       today() - timedelta(days=2), today() + timedelta(days=2))
    crowd = await people(api, 7)
    rng = random.Random(7)
    entries: list[str] = []
    for step in range(30):
        action = rng.choice(["enrol", "enrol", "withdraw", "drop", "complete"])
        session = rng.choice([started, upcoming])
        if action == "enrol" or not entries:
            response = await enrol(api, session, rng.choice(crowd), as_="admin_a")
            if response.status_code == 201:
                entries.append(response.json()["id"])
        elif action == "complete":
            response = await api.post(f"/api/enrolments/{rng.choice(entries)}/complete", "school_a", json={
                "completed_on": today().isoformat(), "passed": True, "override_reason": "补课后结业"})
        else:
            response = await api.post(f"/api/enrolments/{rng.choice(entries)}/{action}", "school_a",
                                      json={"reason": "随机"})
        assert response.status_code in (200, 201, 409, 422), (step, action, response.text)
        for s in (started, upcoming):
            # The menu lists only sessions yet to start: show the running one there for the check.
            if s is started:
                await conn.execute("UPDATE sessions SET starts_on = $2 WHERE id = $1", uuid.UUID(s["id"]),
                                   today() + timedelta(days=1))
            screens = await shown(api, s["id"])
            if s is started:
                await conn.execute("UPDATE sessions SET starts_on = $2 WHERE id = $1", uuid.UUID(s["id"]),
                                   today() - timedelta(days=2))
            counted = await direct_counts(conn, s["id"])
            expected = {k: counted[k] for k in FIGURES}
            assert screens == dict.fromkeys(screens, expected), (step, action)
            await assert_seat_invariant(api, conn, s["id"], f"step {step} {action}")
    statuses = await conn.fetch("SELECT DISTINCT status FROM enrolments")
    assert {r["status"] for r in statuses} >= {"enrolled", "waitlisted", "completed"}  # the run did exercise them


async def test_a_list_across_counties_shows_each_sessions_own_figures(api: Api) -> None:
    """Seat counts are asked county by county (one statement each, a router plan on Citus); a list that
    spans counties, as the system admin's does, still shows every session its own count."""
    here = await published_session(api, capacity=1)
    there = await published_session(api, as_="school_c", course="C", teacher="C", village=VILLAGE_C, capacity=3)
    first, second = await people(api, 2)
    assert (await enrol(api, here, first)).json()["status"] == "enrolled"
    assert (await enrol(api, here, second)).json()["status"] == "waitlisted"
    listed = (await api.get("/api/sessions", "sysadmin", params={"status": "published", "limit": 500})).json()["items"]
    figures = {s["id"]: {k: s[k] for k in FIGURES} for s in listed}
    assert figures[here["id"]] == {"seats_left": 0, "enrolled": 1, "waitlisted": 1}
    assert figures[there["id"]] == {"seats_left": 3, "enrolled": 0, "waitlisted": 0}
