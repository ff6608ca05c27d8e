"""A person's recommendations and a session's candidates: the enrolment rules filter before anything
is scored, every item shown is logged, reasons say why, and an empty list says why in Chinese."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol
from tests.helpers import assert_problem, fields, today
from tests.recommendations.builders import lianghousheng, person, session
from tests.seed import COUNTY_A, ELECTRICIAN, HOUSEKEEPER, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE, SEED
from training.core.config import Settings
from training.core.rules import rule_for
from training.matching import service as matching


async def recommend(api: Api, person_id: str, as_: str = "surveyor_a", **params: Any) -> dict[str, Any]:
    response = await api.get(f"/api/people/{person_id}/recommendations", as_, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def offered(body: dict[str, Any]) -> set[str]:
    return {i["session_id"] for i in body["items"]}


async def housekeeping(api: Api, **kwargs: Any) -> dict[str, Any]:
    return await session(api, as_="school_b", course="B", teacher="B", **kwargs)


async def test_open_sessions_are_ranked_with_the_fields_a_clerk_needs(api: Api) -> None:
    me = await person(api, wants=[HOUSEKEEPER])
    electric = await session(api, capacity=3)
    house = await housekeeping(api)
    body = await recommend(api, me)
    assert body["model_version"]
    assert body["items"][0]["session_id"] == house["id"]  # the wanted trade first
    assert offered(body) == {electric["id"], house["id"]}
    first = body["items"][0]
    assert (first["trade_code"], first["trade_name"], first["school_name"]) == (HOUSEKEEPER, "家政服务员",
                                                                                "甘洛县乙培训中心")
    assert first["course_title"] == "家政服务员（初级）" and first["starts_on"] == house["starts_on"]
    assert first["village_code"] == house["village_code"] and 0 < first["score"] <= 1
    assert next(i for i in body["items"] if i["session_id"] == electric["id"])["seats_left"] == 3
    assert [i["score"] for i in body["items"]] == sorted((i["score"] for i in body["items"]), reverse=True)
    limited = await recommend(api, me, limit=1)
    assert [i["session_id"] for i in limited["items"]] == [house["id"]]


async def test_reasons_are_specific_to_the_pair(api: Api) -> None:
    me = await person(api, wants=[ELECTRICIAN, HOUSEKEEPER])
    electric = await session(api)
    house = await housekeeping(api, village=OTHER_TOWNSHIP_VILLAGE)
    by_session = {i["session_id"]: i["reasons"] for i in (await recommend(api, me))["items"]}
    assert all(by_session.values())
    assert any("电工" in r for r in by_session[electric["id"]])
    assert any("家政" in r for r in by_session[house["id"]])
    assert by_session[electric["id"]] != by_session[house["id"]]


async def test_every_item_shown_is_logged_with_its_rank(api: Api, conn: asyncpg.Connection) -> None:
    me = await person(api, wants=[ELECTRICIAN])
    for start in (10, 20, 30):
        await session(api, start=start)
    body = await recommend(api, me, limit=2)
    rows = await conn.fetch("SELECT id, session_id, rank, context, score, reasons, shown_by FROM recommendations "
                            "ORDER BY rank")
    assert [str(r["id"]) for r in rows] == [i["recommendation_id"] for i in body["items"]]
    assert [str(r["session_id"]) for r in rows] == [i["session_id"] for i in body["items"]]
    assert [r["rank"] for r in rows] == [1, 2]
    assert {r["context"] for r in rows} == {"person"} and {r["shown_by"] for r in rows} == {SEED.users["surveyor_a"]}
    assert [list(r["reasons"]) for r in rows] == [i["reasons"] for i in body["items"]]


async def test_each_hard_rule_keeps_a_session_out(api: Api, conn: asyncpg.Connection) -> None:
    me = await person(api, wants=[ELECTRICIAN])
    good = await session(api, start=60)
    signed = await session(api, start=10, length=3)
    clashing = await session(api, start=12, length=3)  # overlaps `signed`
    draft = (await api.post(f"/api/courses/{SEED.courses['A']}/sessions", "school_a", json={
        "starts_on": good["starts_on"], "ends_on": good["ends_on"], "village_code": good["village_code"],
        "capacity": 5, "teacher_ids": [str(SEED.teachers["A"])]})).json()
    started = await session(api, start=40)
    await conn.execute("UPDATE sessions SET starts_on = $2 WHERE id = $1", uuid.UUID(started["id"]),
                       today() - timedelta(days=1))
    full = await session(api, start=80, capacity=1)
    others = [await person(api, f"候补{i}") for i in range(6)]
    for other in others:  # one seat, then a waitlist of five: too long to offer
        assert (await enrol(api, full, other)).status_code == 201
    short_wait = await session(api, start=100, capacity=1)
    for other in others[:2]:
        assert (await enrol(api, short_wait, other)).status_code == 201
    old_only = await session(api, start=120, course="A")
    assert (await enrol(api, signed, me)).status_code == 201
    await conn.execute(
        """INSERT INTO courses (county_code, school_id, title, trade_code, kind, hours, min_age)
           SELECT county_code, school_id, '老年电工', trade_code, kind, hours, 45 FROM courses WHERE id = $1""",
        SEED.courses["A"])
    old_course = await conn.fetchval("SELECT id FROM courses WHERE county_code = $1 AND title = '老年电工'", COUNTY_A)
    await conn.execute("UPDATE sessions SET course_id = $2 WHERE county_code = $1 AND id = $3",
                       COUNTY_A, old_course, uuid.UUID(old_only["id"]))

    body = await recommend(api, me, limit=20)
    assert offered(body) == {good["id"], short_wait["id"]}
    wait_item = next(i for i in body["items"] if i["session_id"] == short_wait["id"])
    assert (wait_item["seats_left"], wait_item["waitlist_length"]) == (0, 1)
    assert {e["rule"]: e["count"] for e in body["excluded"]} == {"signed_up": 1, "clash": 1, "full": 1, "min_age": 1}
    assert all(e["message"] for e in body["excluded"])
    assert not {draft["id"], started["id"], clashing["id"], signed["id"], full["id"]} & offered(body)


async def test_an_ineligible_person_is_told_which_rule_in_chinese(api: Api) -> None:
    await session(api)
    await housekeeping(api)
    me = await person(api, labour_capacity="lost", wants=[ELECTRICIAN])
    body = await recommend(api, me)
    assert body["items"] == [] and body["model_version"] is None
    assert "丧失劳动力或无劳动力" in body["empty_reason"] and "2 个" in body["empty_reason"]
    assert [e["rule"] for e in body["excluded"]] == ["labour_capacity"]


async def test_no_open_sessions_in_reach_says_so(api: Api) -> None:
    body = await recommend(api, await person(api))
    assert body["items"] == [] and "没有已发布、尚未开班的培训班" in body["empty_reason"]


async def test_a_sign_up_from_a_recommendation_carries_it(api: Api, conn: asyncpg.Connection) -> None:
    me, other = await person(api, wants=[ELECTRICIAN]), await person(api, "别人")
    target = await session(api)
    item = (await recommend(api, me))["items"][0]
    wrong = await api.post(f"/api/sessions/{target['id']}/enrolments", "surveyor_a", json={
        "person_id": other, "recommendation_id": item["recommendation_id"], "source": "recommended"})
    assert "recommendation_id" in fields(assert_problem(wrong, 422))
    unknown = await api.post(f"/api/sessions/{target['id']}/enrolments", "surveyor_a", json={
        "person_id": me, "recommendation_id": str(uuid.uuid4())})
    assert "recommendation_id" in fields(assert_problem(unknown, 422))
    made = await api.post(f"/api/sessions/{target['id']}/enrolments", "surveyor_a", json={
        "person_id": me, "recommendation_id": item["recommendation_id"], "source": "recommended"})
    assert made.status_code == 201, made.text
    stored = await conn.fetchval("SELECT recommendation_id FROM enrolments WHERE id = $1", uuid.UUID(made.json()["id"]))
    assert str(stored) == item["recommendation_id"]


# ------------------------------------------------------------------ candidates


async def candidates(api: Api, session_id: str, as_: str = "school_a", **params: Any) -> dict[str, Any]:
    response = await api.get(f"/api/sessions/{session_id}/candidates", as_, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_school_sees_eligible_candidates_for_its_class_masked_and_ranked(api: Api,
                                                                               conn: asyncpg.Connection) -> None:
    target = await session(api)
    keen = await person(api, "想学电工", wants=[ELECTRICIAN])
    lukewarm = await person(api, "想学家政", wants=[HOUSEKEEPER])
    unable = await person(api, "丧失劳动力", labour_capacity="lost")
    signed = await person(api, "已报名")
    assert (await enrol(api, target, signed)).status_code == 201
    body = await candidates(api, target["id"])
    ids = [c["person_id"] for c in body["items"]]
    assert ids[0] == keen and lukewarm in ids and unable not in ids and signed not in ids
    assert all(c["id_number"].count("*") == 11 and c["reasons"] is not None for c in body["items"])
    assert any("电工" in r for r in body["items"][0]["reasons"])
    assert {e["rule"] for e in body["excluded"]} == {"labour_capacity", "signed_up"}
    logged = await conn.fetch("SELECT person_id, context FROM recommendations WHERE session_id = $1",
                              uuid.UUID(target["id"]))
    assert {r["context"] for r in logged} == {"candidates"} and len(logged) == len(ids)


async def test_candidates_are_filtered_by_village_group_and_poverty(api: Api) -> None:
    target = await session(api)
    poor = await person(api, "脱贫户", poverty="lifted")
    young = await lianghousheng(api, "两后生")
    elsewhere = await person(api, "瓦姑村", village=KEY_VILLAGE_2)
    assert [c["person_id"] for c in (await candidates(api, target["id"], lianghousheng="true"))["items"]] == [young]
    assert {c["person_id"] for c in (await candidates(api, target["id"], poverty_status="lifted"))["items"]} == {
        poor, young}
    assert [c["person_id"] for c in (await candidates(api, target["id"], village_code=KEY_VILLAGE_2))["items"]] == [
        elsewhere]


async def test_the_scores_shown_are_the_matching_slices_own_scores_for_the_same_sessions(
        api: Api, conn: asyncpg.Connection, settings: Settings) -> None:
    """The recommendations reuse the open sessions they already read for scoring: same features, same
    figures as scoring those sessions from the catalogue's own facts."""
    me = await person(api, wants=[HOUSEKEEPER, ELECTRICIAN])
    await session(api)
    await housekeeping(api)
    body = await recommend(api, me)
    today = settings.today()
    county = await conn.fetchval("SELECT county_code FROM people WHERE id = $1", uuid.UUID(me))
    ids = [uuid.UUID(i["session_id"]) for i in body["items"]]
    alone = await matching.score(conn, county, [uuid.UUID(me)], ids, as_of=today, rule=rule_for(settings, today))
    assert [i["score"] for i in body["items"]] == [round(float(p), 4) for p in alone.probability[0]]
    assert [i["reasons"] for i in body["items"]] == alone.reasons_of([(0, j) for j in range(len(ids))])
