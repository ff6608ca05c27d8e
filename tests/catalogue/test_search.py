"""Searching by name: what a clerk types is matched literally (`%`, `_` and `\\` are not wildcards), and
a trade is found by its category and common names too, best matches first."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.registry.test_households import create, id_number, member, years_ago
from tests.seed import COUNTY_A


async def trade_names(api: Api, q: str, **params: Any) -> list[str]:
    response = await api.get("/api/trades", "surveyor_a", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()]


async def test_jiazheng_finds_the_household_service_trades_by_category_and_common_name(api: Api) -> None:
    names = await trade_names(api, "家政")
    assert {"家政服务员", "育婴员", "保洁员", "养老护理员"} <= set(names)
    assert names[0] == "家政服务员"  # its name contains the word; the others only belong to the category


@pytest.mark.parametrize(("q", "first"), [("电工", "电工"), ("月嫂", "家政服务员"), ("保洁", "保洁员"),
                                          ("6-31-01-03", "电工"), ("带孩子", "育婴员"), ("照顾老人", "养老护理员")])
async def test_an_exact_name_or_common_name_comes_first(api: Api, q: str, first: str) -> None:
    assert (await trade_names(api, q))[0] == first


async def test_exact_common_names_then_names_then_categories(api: Api) -> None:
    names = await trade_names(api, "养殖")
    assert names[0] == "家畜饲养员"  # "养殖" is one of its common names, exactly
    assert set(names[1:3]) == {"特种动物养殖员", "经济昆虫养殖员"}  # the word is in their names
    assert "动物疫病防治员" in names[3:]  # in the category 养殖 only


@pytest.mark.parametrize("q", ["%", "_", "\\", "%%", "电_", "_工"])
async def test_wildcards_in_a_trade_search_match_only_themselves(api: Api, q: str) -> None:
    assert await trade_names(api, q) == []


async def school(api: Api, name: str) -> str:
    response = await api.post("/api/schools", "admin_a", json={"county_code": COUNTY_A, "name": name,
                                                               "kind": "training_institution"})
    assert response.status_code == 201, response.text
    school_id: str = response.json()["id"]
    return school_id


@pytest.mark.parametrize(("q", "found"), [("50%", ["阳光50%技能培训"]), ("_", ["A_B 培训中心"]),
                                          ("\\", ["C\\D 培训中心"]), ("%", ["阳光50%技能培训"])])
async def test_percent_underscore_and_backslash_in_a_school_search_are_literal(
        api: Api, q: str, found: list[str]) -> None:
    for name in ["阳光50%技能培训", "阳光500技能培训", "A_B 培训中心", "AXB 培训中心", "C\\D 培训中心"]:
        await school(api, name)
    response = await api.get("/api/schools", "admin_a", params={"q": q})
    assert response.status_code == 200, response.text
    assert [s["name"] for s in response.json()["items"]] == found


async def test_a_course_search_is_literal_too(api: Api, conn: asyncpg.Connection) -> None:
    first = await conn.fetchrow("SELECT county_code, id FROM courses ORDER BY county_code, id LIMIT 1")
    assert first is not None
    await conn.execute("UPDATE courses SET title = '电工 100% 实操' WHERE county_code = $1 AND id = $2", *first)
    titles = [c["title"] for c in (await api.get("/api/courses", "admin_a", params={"q": "100%"})).json()["items"]]
    assert titles == ["电工 100% 实操"]
    assert (await api.get("/api/courses", "admin_a", params={"q": "_"})).json()["items"] == []


async def test_a_people_search_is_literal(api: Api) -> None:
    await create(api, household_no="S-1", members=[member("阿木日哈", id_number(years_ago(30), 41), relation="户主")])
    for q, expected in (("日哈", ["阿木日哈"]), ("%", []), ("_", []), ("阿木_哈", [])):
        response = await api.get("/api/people", "surveyor_a", params={"q": q})
        assert response.status_code == 200, response.text
        assert [p["name"] for p in response.json()["items"]] == expected, q


async def test_a_region_search_is_literal(api: Api) -> None:
    found = (await api.get("/api/regions", "admin_a", params={"q": "拉莫"})).json()["items"]
    assert found and all("拉莫" in r["name"] for r in found)
    for q in ("%", "_", "5134%"):
        assert (await api.get("/api/regions", "admin_a", params={"q": q})).json()["items"] == [], q


async def test_the_searches_have_trigram_indexes(conn: asyncpg.Connection) -> None:
    indexes = {r["indexname"]: r["indexdef"] for r in await conn.fetch("SELECT indexname, indexdef FROM pg_indexes")}
    for name, table in [("people_name_trgm", "people"), ("schools_name_trgm", "schools"),
                        ("courses_title_trgm", "courses"), ("regions_name_trgm", "regions"),
                        ("trades_name_trgm", "trades"), ("trades_terms_trgm", "trades")]:
        assert name in indexes and f"ON public.{table} USING gin" in indexes[name] and "gin_trgm_ops" in indexes[name]


async def test_a_three_character_name_search_uses_the_trigram_index(conn: asyncpg.Connection) -> None:
    await conn.execute("SET enable_seqscan = off")
    plan = "\n".join(r[0] for r in await conn.fetch(
        "EXPLAIN SELECT id FROM schools WHERE name LIKE $1", "%职业技%"))
    assert "schools_name_trgm" in plan, plan
