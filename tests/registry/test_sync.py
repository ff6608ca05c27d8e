"""Offline sync from a surveyor's device: idempotent batches, edits, conflicts, per-item results."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.helpers import assert_problem, today
from tests.registry.test_households import id_number, years_ago
from tests.seed import ELECTRICIAN, KEY_VILLAGE, OTHER_TOWNSHIP_VILLAGE

HOUSEHOLD, HEAD, SON, NEED = (uuid.uuid4() for _ in range(4))


def person(name: str, number: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "id_number": number, "relation": "子女", "education": "71", "in_school": False,
            "labour_capacity": "full", "work_status": "farming", **extra}


def batch() -> dict[str, Any]:
    return {"device": "surveyor-phone-7", "items": [
        {"kind": "household", "client_id": str(HOUSEHOLD),
         "data": {"village_code": KEY_VILLAGE, "head_name": "吉克石布", "poverty_status": "monitored",
                  "monitor_type": "unstable", "household_no": "SYNC-1"}},
        {"kind": "person", "client_id": str(HEAD), "household": str(HOUSEHOLD),
         "data": person("吉克石布", id_number(date(1970, 5, 6), 41), relation="户主")},
        {"kind": "person", "client_id": str(SON), "household": str(HOUSEHOLD),
         "data": person("吉克阿木", id_number(years_ago(19), 43), left_school_year=today().year - 2)},
        {"kind": "survey", "client_id": str(NEED), "person": str(SON),
         "data": {"surveyed_on": today().isoformat(), "desired_trades": [ELECTRICIAN], "can_board": True}},
    ]}


async def counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    row = await conn.fetchrow("""SELECT (SELECT count(*) FROM households), (SELECT count(*) FROM people),
                                        (SELECT count(*) FROM surveys)""")
    assert row is not None
    return row[0], row[1], row[2]


async def test_a_batch_creates_each_item_and_a_resend_changes_nothing(api: Api, conn: asyncpg.Connection) -> None:
    first = await api.post("/api/sync", "surveyor_a", json=batch())
    assert first.status_code == 200
    results = first.json()["results"]
    assert [(r["kind"], r["status"]) for r in results] == [
        ("household", "created"), ("person", "created"), ("person", "created"), ("survey", "created")]
    household = (await api.get(f"/api/households/{results[0]['id']}", "surveyor_a")).json()
    assert [m["name"] for m in household["members"]] == ["吉克石布", "吉克阿木"]
    son = household["members"][1]
    assert son["lianghousheng"] is True and son["current_need"]["desired_trades"] == [ELECTRICIAN]
    before = await counts(conn)

    again = await api.post("/api/sync", "surveyor_a", json=batch())
    assert again.json() == first.json()
    assert await counts(conn) == before == (1, 2, 1)


async def test_an_edit_applies_when_the_device_saw_the_current_version(api: Api) -> None:
    await api.post("/api/sync", "surveyor_a", json=batch())
    edited = batch()
    edited["items"] = [edited["items"][2]]
    edited["items"][0]["data"]["work_status"] = "migrant"
    result = (await api.post("/api/sync", "surveyor_a", json=edited)).json()["results"][0]
    assert (result["status"], result["version"]) == ("updated", 2)
    person_now = (await api.get(f"/api/people/{result['id']}", "official_a")).json()
    assert person_now["work_status"] == "migrant"


async def test_an_edit_against_a_newer_server_version_is_a_conflict_not_an_overwrite(api: Api) -> None:
    created = (await api.post("/api/sync", "surveyor_a", json=batch())).json()["results"]
    son_id = created[2]["id"]
    await api.patch(f"/api/people/{son_id}", "admin_a", json={"work_status": "local_work"})  # server moves on
    stale = batch()
    stale["items"] = [stale["items"][2]]
    stale["items"][0]["data"]["work_status"] = "unemployed"
    result = (await api.post("/api/sync", "surveyor_a", json=stale)).json()["results"][0]
    assert (result["status"], result["server_version"]) == ("conflict", 2)
    assert (await api.get(f"/api/people/{son_id}", "official_a")).json()["work_status"] == "local_work"


async def test_each_item_gets_its_own_result(api: Api, conn: asyncpg.Connection) -> None:
    body = batch()
    body["items"][2]["data"]["id_number"] = "513435200001011234"  # bad check character
    body["items"].append({"kind": "person", "client_id": str(uuid.uuid4()), "household": str(uuid.uuid4()),
                          "data": person("无户", id_number(date(1990, 1, 1), 51))})
    body["items"].append({"kind": "household", "client_id": str(uuid.uuid4()),
                          "data": {"village_code": OTHER_TOWNSHIP_VILLAGE, "head_name": "外村", "poverty_status": "lifted"}})
    body["items"].append({"kind": "household", "client_id": str(uuid.uuid4()), "data": {"head_name": "缺字段"}})
    results = (await api.post("/api/sync", "surveyor_a", json=body)).json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error", "error", "error", "error", "error"]
    assert results[2]["errors"][0]["field"] == "data.id_number"
    assert "找不到所属人员" in results[3]["message"]  # the survey's person never arrived
    assert "找不到所属农户" in results[4]["message"]
    assert "新民村" in results[5]["message"]
    assert {e["field"] for e in results[6]["errors"]} == {"data.village_code", "data.poverty_status"}
    assert "513435200001011234" not in str(results)
    assert await counts(conn) == (1, 1, 0)


async def test_only_surveyors_and_admins_sync(api: Api) -> None:
    assert_problem(await api.post("/api/sync", "official_a", json=batch()), 403)
    assert_problem(await api.post("/api/sync", "school_a", json=batch()), 403)
