"""Setting a quota is guarded like a household edit: `version` (the one the official last saw, 0 for "none
set yet") must be the current one, else 409 in Chinese and nothing changes. Two officials setting the same
quota at once: exactly one wins, the other is told to refresh."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.helpers import assert_problem, today
from tests.progress.county import JIMI
from tests.seed import COUNTY_A, SEED

COUNTY = COUNTY_A + "000000"


async def put(api: Api, as_: str = "official_a", **body: Any) -> Any:
    return await api.http.put("/api/quotas", json={"year": today().year, **body}, headers=api.token(as_))


async def listed(api: Api) -> dict[str, dict[str, Any]]:
    items = (await api.get("/api/quotas", "official_a", params={"year": today().year})).json()["items"]
    return {q["name"]: q for q in items}


async def test_a_quota_carries_a_version_that_each_change_moves_on(api: Api) -> None:
    first = await put(api, region_code=COUNTY, target_person_times=100, version=0)
    assert first.status_code == 200, first.text
    assert first.json()["quota"]["version"] == 1
    second = await put(api, region_code=COUNTY, target_person_times=120, version=1)
    assert second.status_code == 200, second.text
    assert second.json()["quota"]["version"] == 2
    assert (await listed(api))["甘洛县"]["version"] == 2
    school = await put(api, school_id=str(SEED.schools["A"]), target_person_times=5, version=0)
    assert school.json()["quota"]["version"] == 1


async def test_a_change_made_on_an_old_version_is_refused_and_changes_nothing(api: Api,
                                                                              conn: asyncpg.Connection) -> None:
    assert (await put(api, region_code=JIMI, target_person_times=8)).status_code == 200
    assert (await put(api, "official_jimi", region_code=JIMI, target_person_times=9, version=1)).status_code == 200
    stale = await put(api, region_code=JIMI, target_person_times=30, version=1)
    body = assert_problem(stale, 409)
    assert "已被他人修改" in body["detail"] and body["current_version"] == 2
    # "none set yet" when one is set is stale too
    assert_problem(await put(api, region_code=JIMI, target_person_times=30, version=0), 409)
    assert (await listed(api))["吉米镇"]["target_person_times"] == 9
    # the refused ones left no audit record
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'set_quota'") == 2


async def test_two_officials_setting_the_same_quota_at_once_one_wins(api: Api) -> None:
    assert (await put(api, region_code=COUNTY, target_person_times=50, version=0)).status_code == 200
    for round_ in range(3):
        version = (await listed(api))["甘洛县"]["version"]
        answers = await asyncio.gather(*(put(api, who, region_code=COUNTY, target_person_times=100 + 10 * round_ + i,
                                             version=version)
                                         for i, who in enumerate(["official_a", "admin_a", "official_a", "admin_a"])))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 409, 409, 409], [a.text for a in answers]
        winner = next(a.json()["quota"] for a in answers if a.status_code == 200)
        now = (await listed(api))["甘洛县"]
        assert now["target_person_times"] == winner["target_person_times"]
        assert now["version"] == version + 1


async def test_two_officials_setting_a_new_quota_at_once_one_wins(api: Api) -> None:
    answers = await asyncio.gather(*(put(api, who, region_code=JIMI, target_person_times=n, version=0)
                                     for who, n in [("official_a", 7), ("official_jimi", 8), ("admin_a", 9)]))
    assert sorted(a.status_code for a in answers) == [200, 409, 409], [a.text for a in answers]
