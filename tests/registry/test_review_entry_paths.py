"""Review of the registry's entry paths (API, offline sync, Excel ledger) as an outside tester: what a
clerk, an offline surveyor or someone trying to register a person twice would do."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from tests.conftest import Api
from tests.ledger.nasty import HEADERS, XLSX_MIME, ledger
from tests.registry.test_households import HEAD, household, id_number, member
from tests.seed import KEY_VILLAGE, KEY_VILLAGE_2


def arabic_indic(number: str) -> str:
    """The number with its 7th-17th digits typed as Arabic-Indic digits (U+0660-U+0669): Python's
    isdigit() and int() take them, NFKC leaves them as they are."""
    return number[:6] + "".join(chr(0x0660 + int(c)) for c in number[6:17]) + number[17]


async def test_an_id_number_in_other_scripts_digits_is_not_a_second_person(api: Api, conn: asyncpg.Connection) -> None:
    """Regression: the same person registered twice in one county, the second time with the birth date and
    sequence typed in Arabic-Indic digits: the number passed the check and hashed differently."""
    first = await api.post("/api/households", "surveyor_a", json=household(members=[member("阿木日哈", HEAD, relation="户主")]))
    assert first.status_code == 201, first.text
    again = await api.post("/api/households", "surveyor_a", json=household(
        household_no="LM-002", members=[member("阿木日哈", arabic_indic(HEAD), relation="户主")]))
    assert again.status_code == 422, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in again.json()["errors"]] == ["members[0].id_number"]
    assert "数字" in again.json()["errors"][0]["message"]
    assert await conn.fetchval("SELECT count(*) FROM people") == 1


async def _sync(api: Api, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = await api.post("/api/sync", "surveyor_a", json={"items": items})
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_an_offline_edit_that_moves_a_household_or_changes_an_id_number_is_refused_not_ignored(
        api: Api, conn: asyncpg.Connection) -> None:
    """The API refuses a PATCH of the village, 户编号 or ID number (no such field) and the ledger refuses the
    row; the sync answered "updated" and silently kept the old values, so the device believed the move."""
    household_id, person_id = uuid.uuid4(), uuid.uuid4()
    home = {"village_code": KEY_VILLAGE, "household_no": "S-1", "head_name": "阿木日哈", "poverty_status": "ordinary"}
    head = {"name": "阿木日哈", "id_number": HEAD, "relation": "户主", "education": "71", "in_school": False,
            "labour_capacity": "full", "work_status": "farming"}
    created = await _sync(api, [
        {"kind": "household", "client_id": str(household_id), "data": home},
        {"kind": "person", "client_id": str(person_id), "household": str(household_id), "data": head}])
    assert [r["status"] for r in created] == ["created", "created"]

    other = id_number(date(1980, 4, 5), 21)
    edits = await _sync(api, [
        {"kind": "household", "client_id": str(household_id), "data": home | {"village_code": KEY_VILLAGE_2}},
        {"kind": "household", "client_id": str(household_id), "data": home | {"household_no": "S-9"}},
        {"kind": "person", "client_id": str(person_id), "household": str(household_id),
         "data": head | {"id_number": other}}])
    assert [r["status"] for r in edits] == ["error", "error", "error"], edits
    assert [[e["field"] for e in r["errors"]] for r in edits] == [
        ["data.village_code"], ["data.household_no"], ["data.id_number"]]
    assert await conn.fetchval("SELECT village_code || '/' || household_no FROM households") == f"{KEY_VILLAGE}/S-1"

    # Resending the creations unchanged, or an edit of what may change, still works.
    again = await _sync(api, [
        {"kind": "household", "client_id": str(household_id), "data": home | {"head_name": "阿木日哈 "}},
        {"kind": "person", "client_id": str(person_id), "household": str(household_id),
         "data": head | {"work_status": "migrant"}}])
    assert [r["status"] for r in again] == ["updated", "updated"], again


async def test_a_phone_the_api_takes_the_ledger_takes_too(api: Api) -> None:
    """Regression: the ledger's own phone reader wanted 7-15 digits and no brackets, the rule 5-15 digits
    with spaces, dashes and brackets: a number the web form and the sync keep was refused by the ledger."""
    for n, phone in enumerate(("123456", "(0834)7812345")):
        api_answer = await api.post("/api/households", "surveyor_a", json=household(
            household_no=f"P-{phone}", phone=phone,
            members=[member("阿木日哈", id_number(date(1975, 3, 2), 11 + n), relation="户主", phone=phone)]))
        assert api_answer.status_code == 201, api_answer.text
        row = {"户编号": f"L-{phone}", "村代码": KEY_VILLAGE, "户主姓名": "吉克石且", "家庭属性": "一般农户",
               "姓名": "吉克石且", "身份证号": id_number(date(1980, 1, 15), 31 + n), "与户主关系": "户主", "文化程度": "初中",
               "是否在校": "否", "劳动能力": "劳动力", "务工状况": "务农", "联系电话": phone}
        imported = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                       files={"file": ("台账.xlsx", ledger([row], HEADERS), XLSX_MIME)})
        assert imported.status_code == 200, imported.text
        assert imported.json()["rejected"] == [], imported.json()


async def test_every_error_of_a_sync_item_names_its_field_under_data(api: Api) -> None:
    """Regression: a field of the wrong type or out of range was named bare (`village_code`), while a rule's
    error on the same item is `data.village_code`: a device could not tell where to look from one list."""
    home = {"village_code": 513435103201, "household_no": "S-1", "head_name": "阿木日哈", "poverty_status": "ordinary"}
    results = await _sync(api, [
        {"kind": "household", "client_id": str(uuid.uuid4()), "data": home},
        {"kind": "household", "client_id": str(uuid.uuid4()), "data": home | {"village_code": "513435103299"}},
        {"kind": "survey", "client_id": str(uuid.uuid4()), "person": str(uuid.uuid4()),
         "data": {"surveyed_on": "2026-01-01", "available_months": [0]}}])
    assert [r["status"] for r in results] == ["error", "error", "error"], results
    assert [[e["field"] for e in r["errors"]] for r in results] == [
        ["data.village_code"], ["data.village_code"], ["data.available_months[0]"]]


async def test_an_offline_edit_keeps_the_lists_it_does_not_send(api: Api, conn: asyncpg.Connection) -> None:
    """Regression: an edit sent without 致贫原因 or skills (a device whose form has no such field) cleared
    them, because the schema's default [] was applied as a change, while a left-out phone was kept."""
    household_id, person_id = uuid.uuid4(), uuid.uuid4()
    home = {"village_code": KEY_VILLAGE, "household_no": "S-1", "head_name": "阿木日哈", "poverty_status": "ordinary"}
    head = {"name": "阿木日哈", "id_number": HEAD, "relation": "户主", "education": "71", "in_school": False,
            "labour_capacity": "full", "work_status": "farming"}
    created = await _sync(api, [
        {"kind": "household", "client_id": str(household_id), "data": home | {"poverty_causes": ["因病"]}},
        {"kind": "person", "client_id": str(person_id), "household": str(household_id),
         "data": head | {"skills": ["电工"]}}])
    assert [r["status"] for r in created] == ["created", "created"], created
    edited = await _sync(api, [
        {"kind": "household", "client_id": str(household_id), "data": home | {"head_name": "阿木日哈哈"}},
        {"kind": "person", "client_id": str(person_id), "household": str(household_id),
         "data": head | {"work_status": "migrant"}}])
    assert [r["status"] for r in edited] == ["updated", "updated"], edited
    assert await conn.fetchval("SELECT poverty_causes FROM households") == ["因病"]
    assert await conn.fetchval("SELECT skills FROM people") == ["电工"]
    assert await conn.fetchval("SELECT work_status FROM people") == "migrant"
