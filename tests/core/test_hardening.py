"""Regressions from the security and robustness review: crafted files, impossible dates, NUL bytes,
undecodable bodies, and 409s that must not confirm whom an ID number belongs to."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from tests.conftest import Api
from tests.helpers import assert_problem, fields, in_days, today
from tests.registry.test_households import HEAD, create, household, id_number, member
from tests.seed import KEY_VILLAGE, OTHER_TOWNSHIP_VILLAGE, SEED
from training.ledger.columns import HEADERS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_with_far_cell() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet["XFD1048576"] = "x"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_tiny_workbook_reaching_the_last_excel_cell_is_refused_before_it_is_read(api: Api) -> None:
    content = workbook_with_far_cell()
    assert len(content) < 20_000
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", content, XLSX)})
    body = assert_problem(response, 400)
    assert "工作表过大" in body["detail"]


async def test_a_zip_that_is_not_a_workbook_is_a_problem(api: Api) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", out.getvalue(), XLSX)})
    assert_problem(response, 400)


async def test_a_multipart_upload_without_a_file_says_what_to_send(api: Api) -> None:
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"other": ("x.txt", b"x", "text/plain")})
    body = assert_problem(response, 400)
    assert "file" in fields(body)


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31"])
async def test_an_impossible_survey_date_is_refused_and_the_person_stays_readable(api: Api, day: str) -> None:
    son = (await create(api))["members"][1]
    response = await api.post(f"/api/people/{son['id']}/surveys", "surveyor_a", json={"surveyed_on": day})
    assert fields(assert_problem(response, 422)) == {"surveyed_on": "调查日期应在 2000 年以后"}
    assert (await api.get(f"/api/people/{son['id']}", "official_a")).status_code == 200


async def test_session_dates_outside_this_century_are_refused(api: Api) -> None:
    response = await api.post(f"/api/courses/{SEED.courses['A']}/sessions", "school_a", json={
        "starts_on": "9999-12-31", "ends_on": "9999-12-31", "village_code": KEY_VILLAGE, "capacity": 5,
        "teacher_ids": [str(SEED.teachers["A"])]})
    assert set(fields(assert_problem(response, 422))) == {"starts_on", "ends_on"}


async def test_a_body_that_is_not_utf8_or_nests_without_end_is_a_400(api: Api) -> None:
    for content in (b'{"username": "\xff", "password": "x"}', b"[" * 100_000):
        response = await api.http.post("/api/auth/token", content=content,
                                        headers={"content-type": "application/json"})
        assert_problem(response, 400)


async def test_the_audit_log_accepts_the_last_representable_day(api: Api) -> None:
    assert (await api.get("/api/audit", "admin_a", params={"until": "9999-12-31"})).status_code == 200


async def test_a_long_number_in_a_bad_choice_is_masked_in_the_error(api: Api) -> None:
    response = await api.get("/api/households", "official_a", params={"poverty_status": "513435199001011234"})
    assert "513435199001011234" not in response.text
    assert_problem(response, 400)


async def test_a_409_does_not_say_whose_number_it_is_outside_the_callers_villages(api: Api) -> None:
    await create(api, as_="admin_a", village_code=OTHER_TOWNSHIP_VILLAGE, household_no="XM-1")
    mine = await create(api, household_no="LM-9", members=[member("阿呷", id_number(date(1990, 2, 3), 61), relation="户主")])
    response = await api.post(f"/api/households/{mine['id']}/members", "surveyor_a", json=member("某人", HEAD))
    body = assert_problem(response, 409)
    assert "existing_person_id" not in body and "阿木日哈" not in body["detail"]
    whole = await api.post("/api/households", "surveyor_a", json=household(household_no="LM-10"))
    assert "existing_person_id" not in assert_problem(whole, 409)


async def test_left_school_year_before_school_age_is_refused_on_patch_too(api: Api) -> None:
    son = (await create(api))["members"][1]
    response = await api.patch(f"/api/people/{son['id']}", "surveyor_a", json={"left_school_year": 2001})
    assert fields(assert_problem(response, 422)) == {"left_school_year": "离校年份早于入学年龄"}


async def test_a_sync_item_with_a_nul_character_is_stored_without_it_and_the_batch_goes_on(api: Api) -> None:
    """PostgreSQL refuses NUL in text; every JSON body now loses it as it is decoded (core.schemas.Body),
    as a ledger cell does, so the item is created, not refused."""
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    batch = {"items": [
        {"kind": "household", "client_id": first,
         "data": {"village_code": KEY_VILLAGE, "head_name": "甲", "poverty_status": "lifted"}},
        {"kind": "household", "client_id": second,
         "data": {"village_code": KEY_VILLAGE, "head_name": "乙\u0000", "poverty_status": "lifted"}},
        {"kind": "household", "client_id": third,
         "data": {"village_code": KEY_VILLAGE, "head_name": "丙", "poverty_status": "lifted"}},
    ]}
    results = (await api.post("/api/sync", "surveyor_a", json=batch)).json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "created"]
    assert (await api.get(f"/api/households/{results[1]['id']}", "surveyor_a")).json()["head_name"] == "乙"


async def test_another_account_cannot_replay_a_devices_item(api: Api) -> None:
    item = {"kind": "household", "client_id": str(uuid.uuid4()),
            "data": {"village_code": KEY_VILLAGE, "head_name": "甲", "poverty_status": "lifted"}}
    assert (await api.post("/api/sync", "admin_a", json={"items": [item]})).json()["results"][0]["status"] == "created"
    replay = (await api.post("/api/sync", "surveyor_a", json={"items": [item]})).json()["results"][0]
    assert replay["status"] == "error" and "id" not in replay


async def test_a_ledger_cell_holding_a_control_character_is_read_without_it(api: Api) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    number = id_number(date(1988, 8, 8), 71)
    sheet.append(["LM-7", KEY_VILLAGE, "阿木_x0000_", "脱贫户", "阿木_x0000_", number, "户主", "彝族", "71", "否",
                  None, "劳动力", "务农", None, None, None, None, None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    response = await api.http.post("/api/ledger/import", headers=api.token("surveyor_a"),
                                   files={"file": ("台账.xlsx", out.getvalue(), XLSX)})
    assert response.status_code == 200, response.text
    assert response.json()["people_created"] == 1


async def test_a_survey_can_be_dated_today(api: Api) -> None:
    son = (await create(api))["members"][1]
    response = await api.post(f"/api/people/{son['id']}/surveys", "surveyor_a",
                              json={"surveyed_on": today().isoformat()})
    assert response.status_code == 201
    assert in_days(0) == today().isoformat()


async def test_a_nul_character_in_text_is_dropped_as_the_body_is_decoded(api: Api) -> None:
    son = (await create(api))["members"][1]
    response = await api.patch(f"/api/people/{son['id']}", "surveyor_a", json={"disability": "a\u0000b"})
    assert response.status_code == 200, response.text
    assert (await api.get(f"/api/people/{son['id']}", "official_a")).json()["disability"] == "ab"
    only_nul = await api.patch(f"/api/people/{son['id']}", "surveyor_a", json={"disability": "\u0000"})
    assert fields(assert_problem(only_nul, 422)) == {"disability": "只有看不见的控制字符或零宽字符，请填写内容"}
