"""The registry: households and members, one person per ID number, 两后生, surveys, privacy."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest
from stdnum.cn import ric

from tests.conftest import Api
from tests.helpers import assert_problem, fields, today
from tests.seed import ELECTRICIAN, KEY_VILLAGE, KEY_VILLAGE_2, OTHER_TOWNSHIP_VILLAGE


def id_number(birth: date, serial: int = 1, county: str = "513435", male: bool = True) -> str:
    """A valid 居民身份证号码 for a birth date; the sequence's last digit is odd for men."""
    sequence = f"{serial:02d}{(1 if male else 2) + (serial % 4) * 2}"
    body = f"{county}{birth:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")  # stdnum drops the last character


def years_ago(n: int) -> date:
    t = today()
    return t.replace(year=t.year - n, day=min(t.day, 28))


def member(name: str, number: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "id_number": number, "relation": "子女", "education": "71", "in_school": False,
            "labour_capacity": "full", "work_status": "farming", **overrides}


HEAD = id_number(date(1975, 3, 2), 11)
SON = id_number(years_ago(18), 21)
DAUGHTER = id_number(years_ago(17), 31, male=False)


def household(**overrides: Any) -> dict[str, Any]:
    return {
        "village_code": KEY_VILLAGE, "head_name": "阿木日哈", "poverty_status": "lifted", "lifted_year": 2019,
        "phone": "13800138000", "household_no": "LM-001",
        "members": [
            member("阿木日哈", HEAD, relation="户主", education="81", phone="13912345678"),
            member("阿木拉且", SON, left_school_year=today().year - 1),
            member("阿木阿呷", DAUGHTER, education="61", in_school=True, work_status="student"),
        ],
        **overrides,
    }


async def create(api: Api, as_: str = "surveyor_a", **overrides: Any) -> dict[str, Any]:
    response = await api.post("/api/households", as_, json=household(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_surveyor_registers_a_household_with_all_its_members(api: Api) -> None:
    h = await create(api)
    assert (h["village_name"], h["poverty_status_label"], h["household_no"]) == ("拉莫村", "脱贫户", "LM-001")
    assert [m["name"] for m in h["members"]] == ["阿木日哈", "阿木拉且", "阿木阿呷"]
    head = h["members"][0]
    assert head["id_number"] == HEAD[:3] + "*" * 11 + HEAD[-4:]
    assert head["phone"] == "139****5678" and h["phone"] == "138****8000"
    assert (head["sex"], head["birth_date"]) == ("male", "1975-03-02")
    assert h["members"][2]["sex"] == "female"


async def test_no_full_number_is_ever_in_a_response(api: Api) -> None:
    h = await create(api)
    listed = await api.get("/api/people", "official_a", params={"village_code": KEY_VILLAGE})
    detail = await api.get(f"/api/households/{h['id']}", "surveyor_a")
    for text in (str(h), listed.text, detail.text):
        for secret in (HEAD, SON, DAUGHTER, "13912345678", "13800138000"):
            assert secret not in text


async def test_sensitive_values_are_encrypted_at_rest(api: Api, conn: asyncpg.Connection) -> None:
    await create(api)
    dump = await conn.fetch("SELECT p::text AS row FROM people p UNION ALL SELECT h::text FROM households h")
    text = " ".join(r["row"] for r in dump)
    for secret in (HEAD, SON, "13912345678", "13800138000"):
        assert secret not in text


async def test_a_bad_id_number_is_explained(api: Api) -> None:
    bad_check = HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")
    body = household(members=[member("甲", bad_check), member("乙", HEAD[:15]), member("丙", "5.13435E+17")])
    problem = assert_problem(await api.post("/api/households", "surveyor_a", json=body), 422)
    errors = fields(problem)
    assert "校验位不正确" in errors["members[0].id_number"]
    assert "15 位" in errors["members[1].id_number"]
    assert "科学计数法" in errors["members[2].id_number"]
    assert bad_check not in problem["detail"]


async def test_typed_sex_and_birth_date_must_agree_with_the_id_number(api: Api) -> None:
    body = household(members=[member("甲", HEAD, sex="female", birth_date="1980-01-01")])
    errors = fields(assert_problem(await api.post("/api/households", "surveyor_a", json=body), 422))
    assert errors == {"members[0].sex": "与身份证号不符：身份证号显示为男",
                      "members[0].birth_date": "与身份证号不符：身份证号显示出生于 1975-03-02"}


async def test_the_same_id_number_twice_in_a_county_is_a_409_naming_the_person(api: Api) -> None:
    first = await create(api)
    again = household(household_no="LM-002", members=[member("阿木日哈", HEAD, relation="户主")])
    problem = assert_problem(await api.post("/api/households", "surveyor_a", json=again), 409)
    assert problem["existing_person_id"] == first["members"][0]["id"]
    assert HEAD not in str(problem)
    added = await api.post(f"/api/households/{first['id']}/members", "surveyor_a", json=member("x", SON))
    assert assert_problem(added, 409)["existing_person_id"] == first["members"][1]["id"]


async def test_near_duplicates_are_listed_for_review(api: Api) -> None:
    await create(api)
    twin = id_number(years_ago(18), 21, county="513436")  # same birth date, another number
    await create(api, household_no="LM-009", members=[member("阿木拉且", twin, relation="户主")])
    groups = (await api.get("/api/people/possible-duplicates", "official_a")).json()
    assert len(groups) == 1
    assert groups[0]["name"] == "阿木拉且" and len(groups[0]["people"]) == 2


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, True),
    ({"poverty_status": "ordinary", "lifted_year": None}, False),
])
async def test_lianghousheng_is_derived_with_its_reason(api: Api, overrides: dict[str, Any], expected: bool) -> None:
    h = await create(api, **overrides)
    son = h["members"][1]
    assert son["lianghousheng"] is expected
    if expected:
        assert son["lianghousheng_reason"].startswith("脱贫户子女，初中毕业后于")
        assert h["members"][2]["lianghousheng_reason"] == "仍在校"
    else:
        assert son["lianghousheng_reason"] == "家庭不是建档立卡、脱贫或监测户"
    assert h["members"][2]["lianghousheng"] is False
    assert h["members"][0]["lianghousheng"] is False


async def test_lianghousheng_filter_and_the_years_since_leaving(api: Api) -> None:
    h = await create(api)
    people = (await api.get("/api/people", "official_a", params={"lianghousheng": "true"})).json()
    assert [p["name"] for p in people["items"]] == ["阿木拉且"]
    son = h["members"][1]
    patched = await api.patch(f"/api/people/{son['id']}", "surveyor_a", json={"left_school_year": today().year - 5})
    assert patched.json()["lianghousheng"] is False
    assert patched.json()["lianghousheng_reason"] == "离校已超过 3 年"


async def test_patches_change_only_what_is_given_and_respect_the_version(api: Api) -> None:
    h = await create(api)
    changed = await api.patch(f"/api/households/{h['id']}", "surveyor_a", json={
        "poverty_status": "monitored", "monitor_type": "marginal", "version": 1})
    assert changed.status_code == 200
    body = changed.json()
    assert (body["poverty_status"], body["monitor_type"], body["lifted_year"], body["version"]) == (
        "monitored", "marginal", None, 2)
    stale = await api.patch(f"/api/households/{h['id']}", "surveyor_a", json={"head_name": "x", "version": 1})
    assert assert_problem(stale, 409)["current_version"] == 2


async def test_household_fields_must_fit_the_status(api: Api) -> None:
    body = household(poverty_status="ordinary", lifted_year=2019, monitor_type="unstable")
    errors = fields(assert_problem(await api.post("/api/households", "surveyor_a", json=body), 422))
    assert set(errors) == {"lifted_year", "monitor_type"}


async def test_surveys_keep_history_and_the_latest_is_the_current_need(api: Api) -> None:
    son = (await create(api))["members"][1]
    url = f"/api/people/{son['id']}/surveys"
    older = await api.post(url, "surveyor_a", json={"surveyed_on": "2025-10-15", "desired_trades": [ELECTRICIAN]})
    newer = await api.post(url, "surveyor_a", json={
        "surveyed_on": today().isoformat(), "desired_trades": ["4-03-02-01", ELECTRICIAN], "training_kind": "short",
        "available_months": [10, 3, 4], "can_board": True, "wants_job": True})
    assert older.status_code == newer.status_code == 201
    assert newer.json()["desired_trade_names"] == ["中式烹调师", "电工"]
    assert newer.json()["surveyor_name"] == "surveyor_a"
    history = (await api.get(url, "official_a")).json()
    assert [s["surveyed_on"] for s in history] == [today().isoformat(), "2025-10-15"]
    person = (await api.get(f"/api/people/{son['id']}", "official_a")).json()
    assert person["current_need"]["id"] == newer.json()["id"]
    assert person["current_need"]["available_months"] == [3, 4, 10]


async def test_a_survey_is_checked(api: Api) -> None:
    son = (await create(api))["members"][1]
    response = await api.post(f"/api/people/{son['id']}/surveys", "surveyor_a", json={
        "surveyed_on": "2099-01-01", "desired_trades": [ELECTRICIAN, "9-99-99-99", ELECTRICIAN, "4-03-02-01"]})
    assert fields(assert_problem(response, 400)) == {"desired_trades": "最多只能有 3 项"}
    response = await api.post(f"/api/people/{son['id']}/surveys", "surveyor_a", json={
        "surveyed_on": "2099-01-01", "desired_trades": [ELECTRICIAN, "9-99-99-99", ELECTRICIAN]})
    assert fields(assert_problem(response, 422)) == {
        "desired_trades[1]": "工种代码 9-99-99-99 不在职业分类大典工种表中", "desired_trades": "意向工种重复",
        "surveyed_on": "调查日期不能晚于今天"}


# ------------------------------------------------------------------ scope


async def test_a_surveyor_writes_only_in_assigned_villages(api: Api) -> None:
    problem = assert_problem(await api.post("/api/households", "surveyor_a",
                                            json=household(village_code=OTHER_TOWNSHIP_VILLAGE)), 403)
    assert "新民村" in problem["detail"]
    assert (await api.post("/api/households", "surveyor_a", json=household(village_code=KEY_VILLAGE_2))).status_code == 201


@pytest.mark.parametrize(("user", "status"), [
    ("surveyor_a", 200), ("official_a", 200), ("official_jimi", 200), ("admin_a", 200), ("sysadmin", 200),
    ("official_c", 404), ("admin_c", 404), ("school_a", 404), ("school_c", 404),
])
async def test_who_reads_a_household_and_its_people(api: Api, user: str, status: int) -> None:
    h = await create(api)
    assert (await api.get(f"/api/households/{h['id']}", user)).status_code == status
    assert (await api.get(f"/api/people/{h['members'][0]['id']}", user)).status_code == status
    listed = (await api.get("/api/people", user)).json()
    assert (h["members"][0]["id"] in [p["id"] for p in listed["items"]]) is (status == 200)


async def test_officials_read_but_do_not_write(api: Api) -> None:
    h = await create(api)
    assert_problem(await api.post("/api/households", "official_a", json=household(household_no="X")), 403)
    assert_problem(await api.patch(f"/api/households/{h['id']}", "official_a", json={"head_name": "x"}), 403)
    assert_problem(await api.patch(f"/api/people/{h['members'][0]['id']}", "official_a", json={"name": "x"}), 403)
    survey = {"surveyed_on": today().isoformat()}
    assert_problem(await api.post(f"/api/people/{h['members'][0]['id']}/surveys", "official_a", json=survey), 403)


# ------------------------------------------------------------------ reveal and audit


async def test_reveal_gives_the_full_numbers_to_admins_and_the_villages_surveyor_and_is_audited(api: Api) -> None:
    head = (await create(api))["members"][0]
    url = f"/api/people/{head['id']}/reveal"
    for user in ("surveyor_a", "admin_a"):
        response = await api.post(url, user)
        assert response.status_code == 200
        assert response.json() == {"person_id": head["id"], "id_number": HEAD, "phone": "13912345678"}
    for user, status in (("official_a", 403), ("school_a", 404), ("admin_c", 404)):
        assert_problem(await api.post(url, user), status)
    log = (await api.get("/api/audit", "admin_a", params={"action": "reveal", "object_id": head["id"]})).json()
    assert [e["actor_name"] for e in log["items"]] == ["admin_a", "surveyor_a"]
    assert HEAD not in str(log) and "13912345678" not in str(log)


async def test_every_write_is_audited_without_sensitive_values(api: Api) -> None:
    h = await create(api)
    await api.patch(f"/api/people/{h['members'][0]['id']}", "surveyor_a", json={"phone": "13700001111"})
    log = (await api.get("/api/audit", "admin_a", params={"limit": 100})).json()
    actions = {(e["action"], e["object_type"]) for e in log["items"]}
    assert {("create", "household"), ("create", "person"), ("update", "person")} <= actions
    update = next(e for e in log["items"] if e["action"] == "update")
    assert update["changes"] == {"fields": ["phone"]}
    assert "13700001111" not in str(log) and HEAD not in str(log)
    assert_problem(await api.get("/api/audit", "surveyor_a"), 403)
    assert (await api.get("/api/audit", "admin_c")).json()["total"] == 0
