"""A small county built by hand through the API, with every figure worked out on paper (see `EXPECTED`).

吉米镇 (513435103000): 拉莫村 (KEY_VILLAGE) and 瓦姑村 (KEY_VILLAGE_2); 新市坝镇: 新民村.

  H1 建档立卡 拉莫村: p1, p2          p1 completes 电工 (S1, certified, employed) and 家政 (S2): two trades
  H2 脱贫     瓦姑村: p3              p3 completes 家政 (S2) without passing
  H3 监测     新民村: p4 (两后生)     p4 waits for S1, gets p2's seat when p2 is dropped, still enrolled
  H4 一般农户 拉莫村: p5              p5 enrolled in the upcoming S3
  H5 建档立卡 拉莫村: p6              p6 waits for S3: nobody of H5 trained -> on the worklist; wants 电工, 厨师
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.helpers import published_session, today
from tests.registry.test_households import create, id_number, member, years_ago
from tests.seed import COOK, ELECTRICIAN, KEY_VILLAGE, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE

JIMI, XINSHIBA = "513435103000", "513435100000"


@dataclass
class County:
    people: dict[str, str] = field(default_factory=dict)
    households: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    enrolments: dict[str, str] = field(default_factory=dict)


def started_on() -> date:
    """A first day this year, no later than today (so trainees can complete)."""
    t = today()
    return max(date(t.year, 1, 1), t - timedelta(days=3))


async def household(api: Api, key: str, as_: str, village: str, status: str, members: list[dict[str, Any]],
                    county: County) -> None:
    extra: dict[str, Any] = {"lifted_year": 2019} if status == "lifted" else {"lifted_year": None}
    if status == "monitored":
        extra = {"lifted_year": None, "monitor_type": "marginal"}
    h = await create(api, as_, village_code=village, poverty_status=status, household_no=f"P-{key}",
                     head_name=members[0]["name"], members=members, **extra)
    county.households[key] = h["id"]
    for m in h["members"]:
        county.people[m["name"]] = m["id"]


async def enrol(api: Api, session: str, person: str, county: County, as_: str = "admin_a") -> dict[str, Any]:
    response = await api.post(f"/api/sessions/{county.sessions[session]['id']}/enrolments", as_,
                              json={"person_id": county.people[person]})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    county.enrolments[f"{person}@{session}"] = body["id"]
    return body


async def complete(api: Api, county: County, key: str, as_: str, **values: Any) -> None:
    response = await api.post(f"/api/enrolments/{county.enrolments[key]}/complete", as_, json={
        "completed_on": today().isoformat(), "override_reason": "按实际培训记录", **values})
    assert response.status_code == 200, response.text


async def build(api: Api, conn: asyncpg.Connection) -> County:
    county = County()
    serial = iter(range(40, 99))

    def person(name: str, age: int, **overrides: Any) -> dict[str, Any]:
        return member(name, id_number(years_ago(age), next(serial)), relation="户主" if name.endswith("1") else "子女",
                      **overrides)

    await household(api, "H1", "surveyor_a", KEY_VILLAGE, "registered_poor", [person("p1", 30), person("p2", 25)],
                    county)
    await household(api, "H2", "surveyor_a", KEY_VILLAGE_2, "lifted", [person("p3", 35)], county)
    await household(api, "H3", "surveyor_b", OTHER_TOWNSHIP_VILLAGE, "monitored",
                    [person("p4", 18, left_school_year=today().year - 1)], county)
    await household(api, "H4", "surveyor_a", KEY_VILLAGE, "ordinary", [person("p5", 40)], county)
    await household(api, "H5", "surveyor_a", KEY_VILLAGE, "registered_poor", [person("p6", 45)], county)

    # S1 (school A, 电工) and S2 (school B, 家政) have begun and end today; S3 (school A, 电工) starts tomorrow.
    county.sessions["S1"] = await published_session(api, as_="school_a", course="A", teacher="A", capacity=2)
    county.sessions["S2"] = await published_session(api, as_="school_b", course="B", teacher="B", capacity=5,
                                                    start=20)
    county.sessions["S3"] = await published_session(api, as_="school_a", course="A", teacher="A", capacity=1,
                                                    start=1, length=0)
    for key in ("S1", "S2"):
        await conn.execute("UPDATE sessions SET starts_on = $2, ends_on = $3 WHERE id = $1",
                           uuid.UUID(county.sessions[key]["id"]), started_on(), today())

    await enrol(api, "S1", "p1", county)
    await enrol(api, "S1", "p2", county)
    await enrol(api, "S1", "p4", county)  # waitlisted
    await complete(api, county, "p1@S1", "school_a", passed=True, certificate_no="A" + "1" * 21, skill_level="junior")
    dropped = await api.post(f"/api/enrolments/{county.enrolments['p2@S1']}/drop", "school_a",
                             json={"reason": "连续缺课"})
    assert dropped.status_code == 200, dropped.text  # p4 takes the seat
    employed = await api.post(f"/api/enrolments/{county.enrolments['p1@S1']}/employment", "school_a", json={
        "employed_on": today().isoformat(), "place": "local", "employer": "县城电器维修部"})
    assert employed.status_code == 201, employed.text

    await enrol(api, "S2", "p1", county)
    await enrol(api, "S2", "p3", county)
    await complete(api, county, "p1@S2", "school_b", passed=True)
    await complete(api, county, "p3@S2", "school_b", passed=False)

    await enrol(api, "S3", "p5", county)
    await enrol(api, "S3", "p6", county)  # waitlisted

    survey = await api.post(f"/api/people/{county.people['p6']}/surveys", "surveyor_a", json={
        "surveyed_on": today().isoformat(), "desired_trades": [ELECTRICIAN, COOK], "max_travel_km": 5})
    assert survey.status_code == 201, survey.text
    return county
