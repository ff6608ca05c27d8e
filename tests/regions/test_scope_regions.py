"""GET /api/regions is scoped by county like every other read: a user of 甘洛县 513435 never lists a
region of 美姑县 513436 (and the other way round), whatever the filter; the system admin lists both."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.seed import COUNTY_A, COUNTY_C, JIMI, KEY_VILLAGE, KEY_VILLAGE_2, VILLAGE_C

COUNTY_A_USERS = ["admin_a", "official_a", "official_jimi", "surveyor_a", "school_a", "school_b"]
COUNTY_C_USERS = ["admin_c", "official_c", "school_c"]
USERS_BY_COUNTY = [(COUNTY_A, COUNTY_A_USERS, COUNTY_C), (COUNTY_C, COUNTY_C_USERS, COUNTY_A)]


async def codes(api: Api, user: str, **params: str) -> list[str]:
    response = await api.get("/api/regions", user, params=params | {"limit": "500"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["code"] for item in body["items"]]


@pytest.mark.parametrize(("county", "users", "other"), USERS_BY_COUNTY, ids=[COUNTY_A, COUNTY_C])
async def test_the_county_list_shows_only_the_callers_county(api: Api, county: str, users: list[str],
                                                             other: str) -> None:
    for user in users:
        assert await codes(api, user) == [county + "000000"], user


async def test_the_system_admin_lists_both_counties(api: Api) -> None:
    assert {COUNTY_A + "000000", COUNTY_C + "000000"} <= set(await codes(api, "sysadmin"))


@pytest.mark.parametrize(("county", "users", "other"), USERS_BY_COUNTY, ids=[COUNTY_A, COUNTY_C])
async def test_no_filter_reaches_into_another_county(api: Api, county: str, users: list[str], other: str) -> None:
    other_county_filters = [{"parent_code": other + "000000"}, {"q": other}, {"level": "village"},
                            {"level": "township"}, {"q": "巴普" if other == COUNTY_C else "吉米"}]
    for user in users:
        for params in other_county_filters:
            listed = await codes(api, user, **params)
            assert not [c for c in listed if c.startswith(other)], f"{user} {params}: {listed}"


async def test_the_villages_of_the_callers_county_are_listed(api: Api) -> None:
    assert {KEY_VILLAGE, KEY_VILLAGE_2} <= set(await codes(api, "surveyor_a", parent_code=JIMI))
    assert VILLAGE_C in await codes(api, "official_c", parent_code=COUNTY_C + "100000")
