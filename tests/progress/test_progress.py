"""Progress of a small county built by hand (tests/progress/county.py): every figure checked against the
numbers worked out on paper, townships adding up to the county, and the scope of every route."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.helpers import assert_problem, today
from tests.progress.county import JIMI, XINSHIBA, County, build
from tests.seed import COUNTY_A, COUNTY_C, KEY_VILLAGE, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE, SEED
from training.enrolment import service as enrolment

COUNTY = COUNTY_A + "000000"
COUNTS = ("person_times_completed", "persons_completed", "certified", "employed", "enrolled_now", "waitlisted_now",
          "lianghousheng_enrolled", "lianghousheng_completed", "households_target", "households_covered",
          "households_covered_two_skills")
TOP_LEVEL = {"target_person_times", "person_times_completed", "persons_completed", "certified", "employed",
             "enrolled_now", "waitlisted_now", "lianghousheng_enrolled", "lianghousheng_completed",
             "households_target", "households_covered", "households_covered_two_skills", "pass_rate",
             "employment_rate", "pace", "forecast_person_times", "on_track", "by"}


async def put_quota(api: Api, as_: str, **body: Any) -> Any:
    return await api.http.put("/api/quotas", json={"year": today().year, **body}, headers=api.token(as_))


async def progress(api: Api, as_: str, region: str = COUNTY, **params: Any) -> dict[str, Any]:
    response = await api.get("/api/progress", as_, params={"region_code": region, "year": today().year, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def s3_this_year() -> bool:
    return (today() + timedelta(days=1)).year == today().year


@pytest.fixture
async def county(api: Api, conn: asyncpg.Connection) -> County:
    return await build(api, conn)


async def test_every_figure_of_the_hand_built_county(api: Api, county: County) -> None:
    assert (await put_quota(api, "official_a", region_code=COUNTY, target_person_times=10)).status_code == 200
    p = await progress(api, "official_a")
    assert set(p) == TOP_LEVEL
    s3 = 1 if s3_this_year() else 0
    assert {k: p[k] for k in COUNTS} == {
        "person_times_completed": 3,  # p1 twice, p3 once
        "persons_completed": 2,  # p1, p3
        "certified": 1,  # p1's 电工 certificate
        "employed": 1,  # p1 after 电工
        "enrolled_now": 1 + s3,  # p4 in S1 (took p2's seat), p5 in S3
        "waitlisted_now": s3,  # p6 for S3
        "lianghousheng_enrolled": 1,  # p4
        "lianghousheng_completed": 0,
        "households_target": 4,  # H1, H2, H3, H5 (H4 is an ordinary household)
        "households_covered": 2,  # H1 (p1), H2 (p3)
        "households_covered_two_skills": 1,  # H1: p1 has 电工 and 家政
    }
    assert p["target_person_times"] == 10
    assert p["pass_rate"] == round(2 / 3, 4)  # p1 passed twice, p3 failed
    assert p["employment_rate"] == round(1 / 3, 4)
    t = today()
    days = 366 if calendar.isleap(t.year) else 365
    assert p["pace"] == round(3 / (10 * ((t - date(t.year, 1, 1)).days + 1) / days), 4)
    # No sessions ended before this year: every open place counts as a completion to come (p4; p5 in S3).
    assert p["forecast_person_times"] == 3 + 1 + s3
    assert p["on_track"] is False

    by = p["by"]
    assert [m["key"] for m in by["month"]] == [str(m) for m in range(1, 13)]
    this_month = by["month"][t.month - 1]
    assert (this_month["person_times_completed"], this_month["persons_completed"]) == (3, 2)
    townships = {row["key"]: row for row in by["township"]}
    assert townships[JIMI]["name"] == "吉米镇"
    assert {k: townships[JIMI][k] for k in ("person_times_completed", "persons_completed", "enrolled_now",
                                            "households_target", "households_covered")} == {
        "person_times_completed": 3, "persons_completed": 2, "enrolled_now": s3, "households_target": 3,
        "households_covered": 2}
    assert {k: townships[XINSHIBA][k] for k in ("person_times_completed", "enrolled_now", "lianghousheng_enrolled",
                                                "households_target", "households_covered")} == {
        "person_times_completed": 0, "enrolled_now": 1, "lianghousheng_enrolled": 1, "households_target": 1,
        "households_covered": 0}
    villages = {row["key"]: row for row in by["village"]}
    assert (villages[KEY_VILLAGE]["person_times_completed"], villages[KEY_VILLAGE_2]["person_times_completed"],
            villages[OTHER_TOWNSHIP_VILLAGE]["person_times_completed"]) == (2, 1, 0)
    assert (villages[KEY_VILLAGE]["households_target"], villages[KEY_VILLAGE]["households_covered"]) == (2, 1)
    trades = {row["name"]: row["person_times_completed"] for row in by["trade"]}
    assert trades == {"电工": 1, "家政服务员": 2}
    schools = {row["name"]: (row["person_times_completed"], row["certified"]) for row in by["school"]}
    assert schools == {"甘洛县甲职业学校": (1, 1), "甘洛县乙培训中心": (2, 0)}


async def test_the_townships_add_up_to_the_county(api: Api, county: County) -> None:
    p = await progress(api, "admin_a")
    for dimension in ("month", "township", "village", "trade", "school"):
        rows = p["by"][dimension]
        for field in ("person_times_completed", "certified", "employed", "enrolled_now", "waitlisted_now",
                      "lianghousheng_enrolled", "lianghousheng_completed"):
            assert sum(r[field] for r in rows) == p[field], (dimension, field)
    for field in ("households_target", "households_covered", "households_covered_two_skills",
                  "persons_completed"):
        assert sum(r[field] for r in p["by"]["township"]) == p[field], field
        assert sum(r[field] for r in p["by"]["village"]) == p[field], field
    # ... and each township asked for on its own says what the county's table says about it.
    for row in p["by"]["township"]:
        alone = await progress(api, "official_a", row["key"])
        assert {k: alone[k] for k in COUNTS} == {k: row[k] for k in COUNTS}


async def test_a_school_sees_its_own_figures_and_no_households(api: Api, county: County) -> None:
    p = await progress(api, "school_a")
    assert (p["person_times_completed"], p["certified"], p["employed"]) == (1, 1, 1)
    assert p["households_target"] is None and p["households_covered"] is None
    assert [row["name"] for row in p["by"]["school"]] == ["甘洛县甲职业学校"]


async def test_scope_of_progress(api: Api, county: County) -> None:
    jimi = await progress(api, "official_jimi", JIMI)
    assert jimi["person_times_completed"] == 3 and jimi["households_target"] == 3
    village = await progress(api, "surveyor_a", KEY_VILLAGE)
    assert village["households_target"] == 2
    for who, region in [("official_jimi", COUNTY), ("official_jimi", XINSHIBA), ("official_c", COUNTY),
                        ("admin_c", COUNTY), ("surveyor_a", JIMI), ("surveyor_b", KEY_VILLAGE),
                        ("school_c", COUNTY)]:
        response = await api.get("/api/progress", who, params={"region_code": region, "year": today().year})
        assert_problem(response, 404)
    assert_problem(await api.get("/api/progress", "official_a", params={"region_code": "51343", "year": 2026}), 400)
    assert (await api.get("/api/progress", None, params={"region_code": COUNTY, "year": 2026})).status_code == 401


async def test_quotas_warn_when_townships_exceed_the_county(api: Api) -> None:
    assert (await put_quota(api, "official_a", region_code=COUNTY_A, target_person_times=10)).json()["warning"] is None
    first = await put_quota(api, "official_jimi", region_code=JIMI, target_person_times=8, target_households=3)
    assert first.status_code == 200, first.text
    assert first.json()["warning"] is None
    second = (await put_quota(api, "official_a", region_code=XINSHIBA, target_person_times=5)).json()
    assert second["warning"] == "各乡镇指标合计 13 人次，超过全县指标 10 人次"
    assert second["quota"]["name"] == "新市坝镇"
    school = await put_quota(api, "official_a", school_id=str(SEED.schools["A"]), target_person_times=4)
    assert school.status_code == 200, school.text
    listed = (await api.get("/api/quotas", "official_a", params={"year": today().year})).json()
    assert {q["name"]: q["target_person_times"] for q in listed["items"]} == {
        "甘洛县": 10, "吉米镇": 8, "新市坝镇": 5, "甘洛县甲职业学校": 4}
    assert listed["warning"]
    jimi_list = (await api.get("/api/quotas", "official_jimi", params={"year": today().year})).json()
    assert [q["name"] for q in jimi_list["items"]] == ["吉米镇"]
    # Updating replaces the figures.
    await put_quota(api, "official_a", region_code=XINSHIBA, target_person_times=2)
    assert (await put_quota(api, "official_a", region_code=COUNTY, target_person_times=10)).json()["warning"] is None
    p = await progress(api, "official_a", XINSHIBA)
    assert p["target_person_times"] == 2


async def test_quota_scope(api: Api) -> None:
    for who, body, status in [
        ("official_jimi", {"region_code": COUNTY}, 404), ("official_jimi", {"region_code": XINSHIBA}, 404),
        ("official_c", {"region_code": COUNTY}, 404), ("admin_c", {"region_code": JIMI}, 404),
        ("official_jimi", {"school_id": str(SEED.schools["A"])}, 404),
        ("official_a", {"school_id": str(SEED.schools["C"])}, 404),
        ("school_a", {"school_id": str(SEED.schools["A"])}, 403), ("surveyor_a", {"region_code": JIMI}, 403),
        ("official_a", {"region_code": KEY_VILLAGE}, 422), ("official_a", {}, 422),
        ("official_a", {"region_code": COUNTY, "school_id": str(SEED.schools["A"])}, 422),
    ]:
        assert_problem(await put_quota(api, who, target_person_times=1, **body), status)
    assert (await put_quota(api, "admin_c", region_code=COUNTY_C, target_person_times=1)).status_code == 200
    assert (await api.get("/api/quotas", "official_a", params={"year": today().year})).json()["items"] == []
    assert_problem(await api.get("/api/quotas", "official_a",
                                 params={"year": today().year, "region_code": COUNTY_C}), 404)


async def test_the_worklist_of_uncovered_households(api: Api, county: County) -> None:
    page = (await api.get("/api/progress/uncovered-households", "surveyor_a",
                          params={"region_code": KEY_VILLAGE})).json()
    # H1 has p1 trained, H4 is not a target household: H5 is left, with its labourer p6.
    assert page["total"] == 1
    (h5,) = page["items"]
    assert (h5["household_id"], h5["village_name"], h5["township_name"]) == (county.households["H5"], "拉莫村", "吉米镇")
    assert [(p["name"], p["desired_trades"]) for p in h5["labourers"]] == [("p6", ["6-31-01-03", "4-03-02-01"])]
    assert "id_number" not in str(page) and "phone" not in str(page)
    county_list = (await api.get("/api/progress/uncovered-households", "official_a",
                                 params={"region_code": COUNTY, "limit": 1})).json()
    # H3 (p4 enrolled but not yet trained) and H5.
    assert (county_list["total"], len(county_list["items"])) == (2, 1)
    for who, region, status in [("surveyor_b", KEY_VILLAGE, 404), ("official_c", COUNTY, 404),
                                ("official_jimi", OTHER_TOWNSHIP_VILLAGE, 404), ("school_a", COUNTY, 403)]:
        assert_problem(await api.get("/api/progress/uncovered-households", who, params={"region_code": region}),
                       status)


async def test_unmet_demand(api: Api, county: County) -> None:
    demand = (await api.get("/api/progress/unmet-demand", "official_a", params={"region_code": COUNTY})).json()
    # p6 wants 电工 (S3 is upcoming in 拉莫村, his own village) and 中式烹调师 (no session anywhere).
    assert demand == {"townships": [{"township_code": JIMI, "township_name": "吉米镇", "trades": [
        {"trade_code": "4-03-02-01", "trade_name": "中式烹调师", "people": 1}]}],
        "trades": [{"trade_code": "4-03-02-01", "trade_name": "中式烹调师", "people": 1}]}
    for who, region, status in [("official_c", COUNTY, 404), ("official_jimi", COUNTY, 404),
                                ("school_a", COUNTY, 403)]:
        assert_problem(await api.get("/api/progress/unmet-demand", who, params={"region_code": region}), status)


async def test_covered_households_follow_a_household_that_changes(api: Api, conn: asyncpg.Connection,
                                                                  county: County) -> None:
    # H1 (p1: two trades) is no longer a target household; H2 (p3) moves to 新民村 in 新市坝镇.
    await conn.execute("UPDATE households SET poverty_status = 'ordinary' WHERE id = $1",
                       uuid.UUID(county.households["H1"]))
    await conn.execute("UPDATE households SET village_code = $2 WHERE id = $1",
                       uuid.UUID(county.households["H2"]), OTHER_TOWNSHIP_VILLAGE)
    p = await progress(api, "official_a")
    assert (p["households_target"], p["households_covered"], p["households_covered_two_skills"]) == (3, 1, 0)
    townships = {row["key"]: row for row in p["by"]["township"]}
    assert (townships[XINSHIBA]["households_target"], townships[XINSHIBA]["households_covered"]) == (2, 1)
    assert townships[JIMI]["households_covered"] == 0
    assert await enrolment.rollup_differences(conn, COUNTY_A) == []


async def test_a_quarter_and_a_month_count_the_same_people_as_the_year(api: Api, county: County) -> None:
    t = today()
    year = await progress(api, "official_a")
    for params in ({"quarter": f"{t.year}-{(t.month + 2) // 3}"}, {"month": f"{t.year}-{t.month:02d}"}):
        part = await progress(api, "official_a", **params)
        assert {k: part[k] for k in ("person_times_completed", "persons_completed", "households_covered",
                                     "households_covered_two_skills")} == {
            "person_times_completed": 3, "persons_completed": 2, "households_covered": 2,
            "households_covered_two_skills": 1}, params
        assert part["pace"] == year["pace"] and part["forecast_person_times"] == year["forecast_person_times"]
    other_month = (t.month % 12) + 1
    if other_month > t.month:  # a later month of the same year: nothing completed yet
        later = await progress(api, "official_a", month=f"{t.year}-{other_month:02d}")
        assert (later["persons_completed"], later["households_covered"]) == (0, 0)
