"""Batches (分批次): every eligible, not-yet-trained person of a village or township placed in at most
one session, no session over its seats left, expected completions as high as they go; accepting signs
them up once, through the enrolment rules, and reports every refusal."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.enrolment.test_enrolment import enrol
from tests.helpers import assert_problem, fields, today
from tests.recommendations.builders import lianghousheng, person, session
from tests.seed import ELECTRICIAN, HOUSEKEEPER, JIMI, KEY_VILLAGE, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE


async def propose(api: Api, as_: str = "surveyor_a", **body: Any) -> dict[str, Any]:
    response = await api.post("/api/allocations", as_, json={"region_code": KEY_VILLAGE, **body})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def placed(allocation: dict[str, Any]) -> dict[str, str]:
    return {i["person_id"]: i["session_id"] for i in allocation["items"]}


async def housekeeping(api: Api, **kwargs: Any) -> dict[str, Any]:
    return await session(api, as_="school_b", course="B", teacher="B", **kwargs)


async def test_the_batch_spreads_people_over_sessions_within_their_seats(api: Api) -> None:
    electric = await session(api, capacity=2)
    house = await housekeeping(api, capacity=1)
    people = [await person(api, f"电{i}", wants=[ELECTRICIAN]) for i in range(3)]
    people += [await person(api, f"家{i}", wants=[HOUSEKEEPER]) for i in range(2)]
    batch = await propose(api)
    assert batch["status"] == "proposed" and batch["model_version"] and batch["people_considered"] == 5
    counts = {s["session_id"]: (s["assigned"], s["seats_offered"]) for s in batch["sessions"]}
    assert counts == {electric["id"]: (2, 2), house["id"]: (1, 1)}
    assert len(placed(batch)) == 3 == len(batch["items"])  # each person at most once, three seats in all
    assert {p for p, s in placed(batch).items() if s == house["id"]} <= set(people[3:])
    assert {p for p, s in placed(batch).items() if s == electric["id"]} <= set(people[:3])
    assert all(i["reasons"] and i["recommendation_id"] and i["id_number"].count("*") == 11 for i in batch["items"])
    assert batch["expected_completions"] == round(sum(i["score"] for i in batch["items"]), 3)
    again = await api.get(f"/api/allocations/{batch['id']}", "official_a")
    assert again.status_code == 200 and again.json() == batch


async def test_optimal_not_greedy_on_a_case_solved_by_hand(api: Api) -> None:
    # 甲 wants both trades, 乙 only housekeeping, 丙 nothing; one seat each. Best pair first would give
    # 甲 housekeeping (their first wish) and leave electricity to a stranger to it. The batch sends 甲
    # to electricity and 乙 to housekeeping: the most expected completions.
    electric = await session(api, capacity=1)
    house = await housekeeping(api, capacity=1)
    jia = await person(api, "甲", wants=[HOUSEKEEPER, ELECTRICIAN])
    yi = await person(api, "乙", wants=[HOUSEKEEPER])
    await person(api, "丙")
    assert placed(await propose(api)) == {jia: electric["id"], yi: house["id"]}


async def test_priority_people_first_when_the_county_says_so(api: Api) -> None:
    electric = await session(api, capacity=1)
    keen = await person(api, "想学的", wants=[ELECTRICIAN])
    young = await lianghousheng(api, "两后生")
    assert placed(await propose(api)) == {keen: electric["id"]}
    weighted = await propose(api, priority_weight=5)
    assert placed(weighted) == {young: electric["id"]} and weighted["priority_weight"] == 5
    assert [i["priority"] for i in weighted["items"]] == [True]


async def test_people_already_placed_or_trained_this_year_are_left_out(api: Api, conn: asyncpg.Connection) -> None:
    await session(api, capacity=5, start=30)
    first = await session(api, capacity=5, start=10)
    busy, trained, free = [await person(api, n) for n in ("已报名", "今年已结业", "空闲")]
    assert (await enrol(api, first, busy)).status_code == 201
    done = (await enrol(api, first, trained)).json()
    await conn.execute("UPDATE enrolments SET status = 'completed', completed_on = $2 WHERE id = $1",
                       uuid.UUID(done["id"]), today())
    batch = await propose(api)
    assert set(placed(batch)) == {free} and batch["people_considered"] == 1


async def test_a_township_batch_covers_its_villages_only(api: Api) -> None:
    await session(api, capacity=10)
    here = await person(api, "拉莫村")
    there = await person(api, "瓦姑村", village=KEY_VILLAGE_2)
    away = await person(api, "新民村", village=OTHER_TOWNSHIP_VILLAGE, as_="surveyor_b")
    batch = await propose(api, as_="admin_a", region_code=JIMI)
    assert set(placed(batch)) == {here, there} and away not in placed(batch)


async def test_bad_requests_are_named(api: Api) -> None:
    assert "region_code" in fields(assert_problem(await api.post("/api/allocations", "admin_a", json={
        "region_code": "513435000000"}), 422))  # a county: too big for one batch
    await session(api)
    unknown = await api.post("/api/allocations", "admin_a", json={"region_code": KEY_VILLAGE,
                                                                   "session_ids": [str(uuid.uuid4())]})
    assert "session_ids[0]" in fields(assert_problem(unknown, 422))
    nobody = await api.post("/api/allocations", "admin_a", json={"region_code": KEY_VILLAGE})
    assert "region_code" in fields(assert_problem(nobody, 422))
    assert_problem(await api.post("/api/allocations", "admin_a", json={"region_code": KEY_VILLAGE,
                                                                        "priority_weight": -1}), 400)


async def test_accepting_signs_everyone_up_once_and_reports_refusals(api: Api, conn: asyncpg.Connection) -> None:
    electric = await session(api, capacity=3)
    people = [await person(api, f"学员{i}", wants=[ELECTRICIAN]) for i in range(3)]
    batch = await propose(api)
    assert len(batch["items"]) == 3
    # Between proposal and acceptance one person loses their labour capacity: the sign-up must refuse
    # them, by the enrolment rule, and say so for that person.
    await conn.execute("UPDATE people SET labour_capacity = 'lost' WHERE id = $1", uuid.UUID(people[0]))
    official = await api.post(f"/api/allocations/{batch['id']}/accept", "official_a")
    assert_problem(official, 403)
    first, second = await asyncio.gather(api.post(f"/api/allocations/{batch['id']}/accept", "surveyor_a"),
                                         api.post(f"/api/allocations/{batch['id']}/accept", "surveyor_a"))
    assert first.status_code == second.status_code == 200
    accepted = first.json()
    assert accepted["status"] == "accepted" and accepted["refused"] == 1
    outcome = {i["person_id"]: i for i in accepted["items"]}
    assert outcome[people[0]]["outcome"] == "refused" and "丧失劳动力" in outcome[people[0]]["message"]
    assert {outcome[p]["outcome"] for p in people[1:]} == {"enrolled"}
    rows = await conn.fetch("SELECT person_id, source, recommendation_id FROM enrolments WHERE session_id = $1",
                            uuid.UUID(electric["id"]))
    assert sorted(str(r["person_id"]) for r in rows) == sorted(people[1:])
    assert {r["source"] for r in rows} == {"recommended"}
    assert {str(r["recommendation_id"]) for r in rows} == {outcome[p]["recommendation_id"] for p in people[1:]}
    third = await api.post(f"/api/allocations/{batch['id']}/accept", "admin_a")
    assert third.status_code == 200 and third.json() == second.json() == accepted
    assert await conn.fetchval("SELECT count(*) FROM enrolments") == 2
    assert await conn.fetchval("SELECT enrolled_count FROM sessions WHERE id = $1", uuid.UUID(electric["id"])) == 2
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'accept'") == 1


async def test_a_seat_taken_meanwhile_puts_the_person_on_the_waitlist(api: Api) -> None:
    electric = await session(api, capacity=1)
    chosen = await person(api, "被安排", wants=[ELECTRICIAN])
    batch = await propose(api)
    assert placed(batch) == {chosen: electric["id"]}
    assert (await enrol(api, electric, await person(api, "先到"))).status_code == 201
    accepted = (await api.post(f"/api/allocations/{batch['id']}/accept", "surveyor_a")).json()
    assert [(i["outcome"], i["outcome_label"]) for i in accepted["items"]] == [("waitlisted", "候补")]
