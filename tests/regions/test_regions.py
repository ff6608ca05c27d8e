"""Regions (统计用区划代码) from a CSV: parse_csv checks every row and names each problem by its line
(第N行) and column; load_csv writes all rows or none, parents before children, updating what exists.

Codes are 12 digits: county 6 + township 3 + village 3. A county code ends in 000000, a township code
in 000, and a village code in neither; a township's parent is its county, a village's its township.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.conftest import Api
from tests.seed import JIMI
from training.core.errors import InvalidInput
from training.regions.service import LoadResult, expected_level, load_csv, parse_csv

HEADER = "code,name,parent_code,level,key_poverty,lat,lon\n"
TOWNSHIP, VILLAGE = "513435300000", "513435300200"
GOOD = (f"{TOWNSHIP},阿嘎乡,513435000000,township,false,29.01,102.70\n"
        f"{VILLAGE},阿嘎村,{TOWNSHIP},village,true,29.02,102.71\n")


def problems(text: str) -> dict[str, str]:
    """field -> message for every problem parse_csv finds."""
    _, errors = parse_csv(text)
    return {e.field: e.message for e in errors}


async def snapshot(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM regions ORDER BY code")]


# ---------------------------------------------------------------- reading the file


@pytest.mark.parametrize(("code", "level"), [
    ("513435000000", "county"), ("513435103000", "township"), ("513435103201", "village"),
    ("513435100001", "village"),
])
def test_the_level_follows_from_the_code(code: str, level: str) -> None:
    assert expected_level(code) == level


def test_a_clean_file_parses_into_rows() -> None:
    rows, errors = parse_csv(HEADER + GOOD)

    assert errors == []
    assert [(r.code, r.name, r.parent_code, r.level, r.key_poverty, r.lat, r.lon) for r in rows] == [
        (TOWNSHIP, "阿嘎乡", "513435000000", "township", False, 29.01, 102.70),
        (VILLAGE, "阿嘎村", TOWNSHIP, "village", True, 29.02, 102.71)]


def test_what_excel_and_clerks_write_is_understood() -> None:
    # A BOM, headers in other case with spaces, no lat/lon columns, full-width digits, Chinese level and
    # yes/no words, a county without parent, and rows of nothing but commas.
    text = ("\ufeffCode, Name ,Parent_Code,LEVEL,Key_Poverty\n"
            "513437000000,雷波县,,县,否\n"
            ",,,,\n"
            "513437100000,锦城镇,513437000000,镇,否\n"
            "513437200000,渡口乡,513437000000,乡,否\n"
            "５１３４３７１００２００,城郊村,513437100000,村,是\n"
            "513437100001,城关社区,513437100000,社区,√\n")

    rows, errors = parse_csv(text)

    assert errors == []
    assert [(r.code, r.level, r.key_poverty, r.parent_code) for r in rows] == [
        ("513437000000", "county", False, None),
        ("513437100000", "township", False, "513437000000"),
        ("513437200000", "township", False, "513437000000"),
        ("513437100200", "village", True, "513437100000"),
        ("513437100001", "village", True, "513437100000")]


def test_missing_columns_are_named() -> None:
    assert problems("code,name,level\n513435300000,阿嘎乡,township\n") == {
        "header": "缺少列：parent_code, key_poverty"}


@pytest.mark.parametrize(("row", "field", "message"), [
    ("51343530020,短码村,513435300000,village,false,,", "第2行 code", "区划代码应为 12 位数字"),
    ("51343530020A,字母村,513435300000,village,false,,", "第2行 code", "区划代码应为 12 位数字"),
    ("513435300200,某村,513435300000,hamlet,false,,", "第2行 level", "层级应为 county/township/village（县/乡镇/村）"),
    ("513435300200,某村,513435300000,township,false,,", "第2行 level", "代码 513435300200 是村级代码"),
    ("513435300000,某乡,513435000000,village,false,,", "第2行 level", "代码 513435300000 是乡镇级代码"),
    ("513435300200,,513435300000,village,false,,", "第2行 name", "名称不能为空"),
    ("513435300200,某村,513435300000,village,maybe,,", "第2行 key_poverty", "应为 true/false 或 是/否"),
    ("513437000000,雷波县,513435000000,county,false,,", "第2行 parent_code", "县级区划不应有上级"),
    ("513435300000,某乡,,township,false,,", "第2行 parent_code", "应为上级区划的 12 位代码"),
    ("513435300000,某乡,513436000000,township,false,,", "第2行 parent_code", "乡镇的上级应为 513435000000"),
    ("513435300200,某村,513435103000,village,false,,", "第2行 parent_code", "村的上级应为 513435300000"),
    ("513435300200,某村,513435300000,village,false,95,102.7", "第2行 lat/lon", "经纬度应为有效的小数"),
    ("513435300200,某村,513435300000,village,false,29.0,东经", "第2行 lat/lon", "经纬度应为有效的小数"),
])
def test_each_bad_value_is_named_by_line_and_column(row: str, field: str, message: str) -> None:
    found = problems(HEADER + row + "\n")

    assert found[field] == message
    # A code that contradicts its level may also make its parent look wrong; nothing else is blamed.
    assert set(found) <= {field, "第2行 parent_code"}


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = (HEADER + GOOD
            + "51343530020,短码村,513435300000,village,false,,\n"
            + "513435300201,,513435300000,village,maybe,,\n"
            + f"{VILLAGE},重复村,{TOWNSHIP},village,false,,\n")

    found = problems(text)

    assert set(found) == {"第4行 code", "第5行 name", "第5行 key_poverty", "第6行 code"}
    assert "第3行" in found["第6行 code"], "a repeated code points back at its first line"


def test_line_numbers_are_the_lines_of_the_file_even_after_a_blank_line() -> None:
    text = HEADER + GOOD + "\n" + "51343530020,短码村,513435300000,village,false,,\n"  # the bad row is line 5

    assert problems(text) == {"第5行 code": "区划代码应为 12 位数字"}


# ---------------------------------------------------------------- loading it


async def test_loading_inserts_parents_before_children_whatever_the_file_order(conn: asyncpg.Connection) -> None:
    village_first = HEADER + "".join(reversed(GOOD.splitlines(keepends=True)))

    result = await load_csv(conn, village_first)

    assert result == LoadResult(inserted=2, updated=0)
    rows = await conn.fetch("SELECT code, parent_code, level, county_code FROM regions WHERE code LIKE '513435300%'"
                            " ORDER BY code")
    assert [tuple(r) for r in rows] == [(TOWNSHIP, "513435000000", "township", "513435"),
                                        (VILLAGE, TOWNSHIP, "village", "513435")]


async def test_a_parent_already_registered_need_not_be_in_the_file(conn: asyncpg.Connection) -> None:
    result = await load_csv(conn, HEADER + f"513435103299,新村,{JIMI},village,true,,\n")

    assert result == LoadResult(inserted=1, updated=0)
    assert await conn.fetchval("SELECT parent_code FROM regions WHERE code = '513435103299'") == JIMI


async def test_loading_again_updates_in_place(conn: asyncpg.Connection) -> None:
    await load_csv(conn, HEADER + GOOD)
    count = await conn.fetchval("SELECT count(*) FROM regions")

    result = await load_csv(conn, HEADER + GOOD.replace("阿嘎村", "阿嘎新村").replace(",29.02,102.71", ",,"))

    assert result == LoadResult(inserted=0, updated=2)
    assert await conn.fetchval("SELECT count(*) FROM regions") == count
    village = await conn.fetchrow("SELECT name, lat, lon FROM regions WHERE code = $1", VILLAGE)
    assert village is not None and tuple(village) == ("阿嘎新村", None, None)


@pytest.mark.parametrize("bad_row", [
    "51343530020,短码村,513435300000,village,false,,",  # a bad row
    "513435301200,孤村,513435301000,village,false,,",  # its parent exists nowhere
], ids=["bad-row", "unknown-parent"])
async def test_one_bad_row_and_nothing_is_written(conn: asyncpg.Connection, bad_row: str) -> None:
    before = await snapshot(conn)

    with pytest.raises(InvalidInput) as error:
        await load_csv(conn, HEADER + GOOD + bad_row + "\n")

    assert error.value.status == 422
    assert error.value.detail == "区划文件有 1 处错误，未导入任何数据"
    assert [e.field.split()[0] for e in error.value.errors] == ["第4行"]
    assert await snapshot(conn) == before


async def test_an_existing_region_is_not_changed_by_a_refused_file(conn: asyncpg.Connection) -> None:
    before = await snapshot(conn)

    with pytest.raises(InvalidInput):
        await load_csv(conn, HEADER + f"{JIMI},改名镇,513435000000,township,true,,\n"
                                      "51343530020,短码村,513435300000,village,false,,\n")

    assert await snapshot(conn) == before


@pytest.mark.parametrize(("row", "field"), [
    ("513435000201,县下直属村,513435000000,village,false,,", "第2行 code"),  # township part 000
    ("513435300000," + "长" * 101 + ",513435000000,township,false,,", "第2行 name"),  # over 100 characters
], ids=["village-without-township", "name-too-long"])
async def test_a_row_the_database_would_refuse_is_reported_by_line_not_crashed_on(
        conn: asyncpg.Connection, row: str, field: str) -> None:
    before = await snapshot(conn)

    with pytest.raises(InvalidInput) as error:
        await load_csv(conn, HEADER + row + "\n")

    assert [e.field for e in error.value.errors] == [field]
    assert await snapshot(conn) == before


# ---------------------------------------------------------------- what users then see


async def test_loaded_regions_are_listed_under_their_parent_in_scope(api: Api, conn: asyncpg.Connection) -> None:
    await load_csv(conn, HEADER + GOOD)

    county_wide = await api.get("/api/regions", "official_a", params={"parent_code": TOWNSHIP})
    assert county_wide.status_code == 200, county_wide.text
    assert [(r["code"], r["name"], r["key_poverty"]) for r in county_wide.json()["items"]] == [
        (VILLAGE, "阿嘎村", True)]

    # An official of 吉米镇 sees neither the new township nor its village.
    jimi = await api.get("/api/regions", "official_jimi", params={"q": "阿嘎"})
    assert jimi.status_code == 200, jimi.text
    assert jimi.json()["items"] == []
