"""Uptake links shown -> enrolled -> completed; and every recommendation route, aimed at another
county's, another school's and another village's objects."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.helpers import assert_problem, today
from tests.recommendations.builders import person, session
from tests.seed import COUNTY_A, ELECTRICIAN, JIMI, KEY_VILLAGE, OTHER_TOWNSHIP_VILLAGE


async def test_uptake_follows_a_recommendation_to_its_completion(api: Api, conn: asyncpg.Connection) -> None:
    target = await session(api, capacity=5)
    taken, ignored = await person(api, "报了名", wants=[ELECTRICIAN]), await person(api, "没报名")
    shown = (await api.get(f"/api/people/{taken}/recommendations", "surveyor_a")).json()
    item, version = shown["items"][0], shown["model_version"]
    await api.get(f"/api/people/{ignored}/recommendations", "surveyor_a")
    made = await api.post(f"/api/sessions/{target['id']}/enrolments", "surveyor_a", json={
        "person_id": taken, "source": "recommended", "recommendation_id": item["recommendation_id"]})
    assert made.status_code == 201, made.text
    # The session happened: move it into the past and record the completion the way a school does.
    await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1",
                       uuid.UUID(target["id"]), today() - timedelta(days=10), today() - timedelta(days=5))
    await conn.execute("UPDATE enrolments SET starts_on = $1, ends_on = $2", today() - timedelta(days=10),
                       today() - timedelta(days=5))
    done = await api.post(f"/api/enrolments/{made.json()['id']}/complete", "school_a", json={
        "completed_on": today().isoformat(), "passed": True, "override_reason": "考勤纸质记录"})
    assert done.status_code == 200, done.text
    response = await api.get("/api/recommendations/uptake", "official_a",
                             params={"model_version": version})
    assert response.status_code == 200, response.text
    rows = response.json()
    assert [(r["model_version"], r["shown"], r["enrolled"], r["completed"]) for r in rows] == [(version, 2, 1, 1)]
    assert (await api.get("/api/recommendations/uptake", "official_a",
                          params={"model_version": "no-such-model"})).json() == []
    village = await api.get("/api/recommendations/uptake", "surveyor_a", params={"region_code": KEY_VILLAGE})
    assert [(r["shown"], r["enrolled"]) for r in village.json()] == [(2, 1)]
    elsewhere = await api.get("/api/recommendations/uptake", "admin_a", params={"region_code": OTHER_TOWNSHIP_VILLAGE})
    assert sum(r["shown"] for r in elsewhere.json()) == 0


# ------------------------------------------------------------------ scope


@pytest.fixture
async def world(api: Api) -> dict[str, Any]:
    target = await session(api, capacity=5)
    someone = await person(api, "阿木", wants=[ELECTRICIAN])
    batch = (await api.post("/api/allocations", "surveyor_a", json={"region_code": KEY_VILLAGE})).json()
    return {"session": target["id"], "person": someone, "allocation": batch["id"]}


def routes(w: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/api/people/{w['person']}/recommendations", None),
        ("GET", f"/api/sessions/{w['session']}/candidates", None),
        ("POST", "/api/allocations", {"region_code": KEY_VILLAGE}),
        ("GET", f"/api/allocations/{w['allocation']}", None),
        ("POST", f"/api/allocations/{w['allocation']}/accept", None),
        ("GET", "/api/recommendations/uptake?region_code=" + KEY_VILLAGE, None),
    ]


@pytest.mark.parametrize("user", ["admin_c", "school_c", "official_c"])
async def test_another_countys_users_find_nothing(api: Api, world: dict[str, Any], user: str,
                                                  conn: asyncpg.Connection) -> None:
    shown = await conn.fetchval("SELECT count(*) FROM recommendations")
    for method, path, body in routes(world):
        response = await api.http.request(method, path, json=body, headers=api.token(user))
        expected = 403 if user == "school_c" and path.startswith("/api/allocations") and method == "POST" \
            and path == "/api/allocations" else 404
        if user == "school_c" and "uptake" in path:
            expected = 403
        assert_problem(response, expected)
        assert "阿木" not in response.text
    assert await conn.fetchval("SELECT count(*) FROM recommendations") == shown
    assert await conn.fetchval("SELECT count(*) FROM enrolments") == 0


async def test_a_surveyor_of_other_villages_sees_none_of_it(api: Api, world: dict[str, Any]) -> None:
    for method, path, body in routes(world):
        response = await api.http.request(method, path, json=body, headers=api.token("surveyor_b"))
        if path.endswith("/candidates"):  # the session is the county's; the people are not theirs
            assert response.status_code == 200 and response.json()["items"] == []
        else:
            assert_problem(response, 404)
        assert "阿木" not in response.text


async def test_another_school_cannot_see_candidates_or_batches(api: Api, world: dict[str, Any]) -> None:
    assert_problem(await api.get(f"/api/sessions/{world['session']}/candidates", "school_b"), 403)
    assert_problem(await api.get(f"/api/people/{world['person']}/recommendations", "school_b"), 404)
    assert_problem(await api.post("/api/allocations", "school_a", json={"region_code": KEY_VILLAGE}), 403)
    assert_problem(await api.get(f"/api/allocations/{world['allocation']}", "school_a"), 404)
    assert_problem(await api.post(f"/api/allocations/{world['allocation']}/accept", "school_a"), 404)
    assert_problem(await api.get("/api/recommendations/uptake", "school_a"), 403)
    own = await api.get(f"/api/sessions/{world['session']}/candidates", "school_a")
    assert [c["person_id"] for c in own.json()["items"]] == [world["person"]]


async def test_officials_read_within_their_regions_and_never_sign_up(api: Api, world: dict[str, Any],
                                                                    conn: asyncpg.Connection) -> None:
    for user in ("official_a", "official_jimi"):
        assert (await api.get(f"/api/people/{world['person']}/recommendations", user)).status_code == 200
        assert (await api.get(f"/api/allocations/{world['allocation']}", user)).status_code == 200
        assert (await api.get(f"/api/sessions/{world['session']}/candidates", user)).status_code == 200
        assert_problem(await api.post(f"/api/allocations/{world['allocation']}/accept", user), 403)
    assert (await api.get("/api/recommendations/uptake", "official_jimi")).status_code == 200
    assert_problem(await api.get("/api/recommendations/uptake", "official_jimi",
                                 params={"region_code": OTHER_TOWNSHIP_VILLAGE}), 404)
    assert_problem(await api.post("/api/allocations", "official_jimi", json={"region_code": OTHER_TOWNSHIP_VILLAGE}),
                   404)
    assert (await api.post("/api/allocations", "official_jimi", json={"region_code": JIMI})).status_code == 201
    assert await conn.fetchval("SELECT count(*) FROM enrolments WHERE county_code = $1", COUNTY_A) == 0
